"""Where packages come from: registries (Nushell nupm's format, plus nupm's full and sparse indexes), on
this machine or over HTTP (`http`, `network`), git repositories, archives by URL and local directories.
Each source turns a request into a directory holding the package's files; the resolver and the store
never care which source it was.
"""
