"""Pictures at print size: sizes on paper, and what a render will cost before it starts."""
