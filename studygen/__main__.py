from studygen.cli import main

main()
