from lexgraph.cli import main

main()
