"""Atelier: the fifth vendor of docs/adding-a-vendor.md, a package that lives in tests/ and is registered by its test.

It follows the recipe step by step — adapter on the shared base, webhook view, a panel for the SKU page, url
patterns — but its "remote side" is a dict in this process (JOBS), so the test needs no server. A real adapter
talks HTTP through self.client (vendors/http.py) and is tested against a fake server in tests/fakes/.
"""
