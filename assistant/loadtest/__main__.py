from assistant.loadtest.run import main

main()
