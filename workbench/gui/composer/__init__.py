"""The circuit composer: the experiment document, its undoable commands, the scene and its items, palette,
inspector, editor, view and the resource budget."""
