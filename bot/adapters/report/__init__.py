"""The monthly report's file formats: HTML (self-contained), PDF (the same HTML via WeasyPrint) and CSV."""
