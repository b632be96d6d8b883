"""The objective's terms: content, Gram style, guided regions, temporal, colour; whole and tiled."""
