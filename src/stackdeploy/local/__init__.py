"""The embedded local emulator: a moto server on 127.0.0.1 that `--local` points at."""
