"""政务助手: the application layer (command line, settings) over knowledge and retrieval."""
