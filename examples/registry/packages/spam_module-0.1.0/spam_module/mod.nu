# A package in Nushell nupm's own format (nupm.nuon only).
export def hello [] { "hello from spam_module" }
