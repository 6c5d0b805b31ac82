"""nupm: a shell-native package and environment manager for Nushell, bash, zsh and fish.

The package follows the data flow: manifest -> resolver -> lock -> store -> environment.
Importing it must stay cheap: the no-op `nupm install` is measured against `import nupm`.
"""

__version__ = "0.1.0"
