"""The application shell: entry point, main window with its menus and docks, session state."""
