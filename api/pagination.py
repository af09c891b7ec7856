"""Cursor pagination (issue 18.1): stable under inserts (a new row never shifts a page) and cheap at any depth —
each page is `WHERE pk < cursor ORDER BY pk DESC LIMIT n+1` on the primary key, with no COUNT."""
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
