import sqlite3

from flask import current_app, g

SCHEMA = "CREATE TABLE IF NOT EXISTS post (id INTEGER PRIMARY KEY, title TEXT NOT NULL)"


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
        g.db.execute(SCHEMA)
    return g.db


def close_db(error=None):
    database = g.pop("db", None)
    if database is not None:
        database.close()


def init_app(app):
    app.teardown_appcontext(close_db)
