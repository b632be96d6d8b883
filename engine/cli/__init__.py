"""``brushwork-render``: the engine without a window."""
