"""Training from the GUI: the train panel and its worker process."""
