#!/usr/bin/env nu
use utils

# Greet someone.
def main [name: string = "world"] {
    print (utils wrap $"Hello, ($name)!" "~")
}
