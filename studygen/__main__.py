from studygen.cli import entry

entry()
