"""A Nushell plugin in Python for the tests: Nushell's plugin protocol (JSON over stdin/stdout), one command.

The command is named after the file: `nu_plugin_hello` provides `hello-hi`, which returns "hi from hello".
It answers the engine's Hello with the engine's own version (the plugin has no Nushell to be built against),
unless BUILT_FOR names one: then it claims to be built for that Nushell, as a plugin compiled against another
Nushell's crates does (tests write copies with another BUILT_FOR).
"""

import json
import os
import sys

NAME = os.path.basename(sys.argv[0]).split(".")[0].removeprefix("nu_plugin_")
COMMAND = f"{NAME}-hi"
BUILT_FOR = None


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def signature():
    return {"sig": {"name": COMMAND, "description": f"Say hi from the {NAME} plugin", "extra_description": "",
                    "required_positional": [], "optional_positional": [], "rest_positional": None,
                    "named": [{"long": "help", "short": "h", "arg": None, "required": False,
                               "desc": "Display the help message for this command"}],
                    "input_output_types": [["Any", "String"]], "allow_variants_without_examples": True,
                    "search_terms": [], "is_filter": False, "creates_scope": False, "allows_unknown_args": False,
                    "category": "Experimental"},
            "examples": []}


def answer(call_id, call):
    if call == "Metadata":
        return {"Metadata": {"version": "1.0.0"}}
    if call == "Signature":
        return {"Signature": [signature()]}
    if isinstance(call, dict) and "Run" in call:
        span = call["Run"]["call"]["head"]
        return {"PipelineData": {"Value": [{"String": {"val": f"hi from {NAME}", "span": span}}, None]}}
    return {"Error": {"msg": f"{NAME}: unsupported call", "help": str(call)}}


def main():
    sys.stdout.write("\x04json")  # the encoding: its length, then its name
    sys.stdout.flush()
    for line in sys.stdin:
        message = json.loads(line)
        if isinstance(message, dict) and "Hello" in message:
            version = BUILT_FOR or message["Hello"]["version"]
            try:
                send({"Hello": {"protocol": "nu-plugin", "version": version, "features": []}})
            except BrokenPipeError:  # the engine refused it
                return
        elif message == "Goodbye":
            return
        elif isinstance(message, dict) and "Call" in message:
            call_id, call = message["Call"]
            send({"CallResponse": [call_id, answer(call_id, call)]})


if __name__ == "__main__":
    if sys.argv[1:] == ["--stdio"]:
        main()
    else:
        print("a Nushell plugin: `plugin add` it from nu")
