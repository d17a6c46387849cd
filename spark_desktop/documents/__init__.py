"""Documents a person asks about: read (text, Markdown, code, PDF, DOCX, HTML), cut into
passages that know their place, indexed in the encrypted history database (vectors and
full text) and retrieved hybridly, so answers can cite the passage they stand on.
Qt-free; `spark-desktop ask` and the GUI share it."""
