def "nu-complete nupm" [] { [__NUPM_COMMANDS__] }
extern "nupm" [command?: string@"nu-complete nupm", ...args: string]
