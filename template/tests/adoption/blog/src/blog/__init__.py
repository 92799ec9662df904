"""A small blog, shaped like Flask's tutorial: an application factory, SQLite in the instance
folder, its own tests. Not written for the template: the adoption tests drop it in."""

import os

from flask import Flask, redirect, render_template_string, request, url_for

from blog import db

PAGE = """<h1>The Blog</h1>
<form method="post" action="{{ url_for('create') }}">
<input name="title"><button>Post</button></form>
<ul>{% for post in posts %}<li>{{ post["title"] }}</li>{% endfor %}</ul>
"""


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DATABASE=os.path.join(app.instance_path, "blog.sqlite"))
    if test_config:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)

    @app.get("/")
    def index():
        posts = db.get_db().execute("SELECT title FROM post ORDER BY id DESC").fetchall()
        return render_template_string(PAGE, posts=posts)

    @app.post("/posts")
    def create():
        database = db.get_db()
        database.execute("INSERT INTO post (title) VALUES (?)", (request.form["title"],))
        database.commit()
        return redirect(url_for("index"))

    return app
