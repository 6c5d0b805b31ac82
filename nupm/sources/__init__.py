"""Where packages come from: registries (Nushell nupm's format, plus nupm's richer index), git
repositories and local directories. Each source turns a request into a directory holding the
package's files; the resolver and the store never care which source it was.

HTTP registries plug in here later, beside `registry.LocalRegistry`.
"""
