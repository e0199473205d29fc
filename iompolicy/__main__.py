"""`python -m iompolicy`, and the `iompolicy` command (its entry point is `main`)."""

import gc


def main() -> None:
    """The command line, started with the cyclic garbage collector paused.

    Importing click and the chosen command builds tens of thousands of objects that live
    until the process ends, and the collector's passes over them were some 7% of the
    instructions of a one-file check (380 M against 352 M). The collector resumes once the
    command is chosen (`cli.resume_collection`), with what the start built frozen out of
    its sight."""
    paused = gc.isenabled()
    gc.disable()
    from .cli import run

    run(paused_collector=paused)


if __name__ == "__main__":
    main()
