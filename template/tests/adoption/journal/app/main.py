from flask import Blueprint, current_app, redirect, session, url_for

bp = Blueprint('main', __name__)


@bp.route('/')
def index():
    title = current_app.config.get('JOURNAL_TITLE', 'Untitled')
    if 'user' not in session:
        return redirect(url_for('auth.login'))
    return f'<h1>{title}</h1><p>Hi, {session["user"]}!</p>'
