use colors
use table-fmt

# Greet in colour, with a small table of what is installed.
export def main [] {
    print (colors paint ($env.HELLO_GREETING? | default "Hello"))
    print (table-fmt render {project: hello, utils: (utils-version)})
}

def utils-version [] { use utils; utils version }
