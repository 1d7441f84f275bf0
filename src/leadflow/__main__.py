from leadflow.cli.app import main

main()
