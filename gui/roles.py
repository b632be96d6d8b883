"""The two input roles, named once: the wells, the layer explorer and the session all use them."""

CONTENT, STYLE = "Content", "Style"
