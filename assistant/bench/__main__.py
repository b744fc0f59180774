from assistant.bench.retrieval import main

main()
