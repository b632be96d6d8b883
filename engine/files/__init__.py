"""Files on disk: atomic writes, the artist's folders and the files the package ships."""
