from flask import Blueprint, abort, redirect, request, session, url_for

from app import db
from app.models import Task, User

bp = Blueprint('auth', __name__)

FORM = '<form method="post"><input name="username"><input name="password" type="password">' \
       '<button>{}</button></form>'


@bp.route('/register', methods=['GET', 'POST'])
def register():
    if request.method == 'POST':
        username = request.form.get('username', '').strip()
        if not username or db.session.scalar(db.select(User).filter_by(username=username)):
            return FORM.format('Register') + '<p>Please use a different username.</p>', 400
        user = User(username=username)
        user.set_password(request.form.get('password', ''))
        db.session.add(user)
        db.session.add(Task(name='welcome', username=username))
        db.session.commit()
        return redirect(url_for('auth.login'))
    return FORM.format('Register')


@bp.route('/login', methods=['GET', 'POST'])
def login():
    if request.method == 'POST':
        user = db.session.scalar(db.select(User).filter_by(
            username=request.form.get('username', '')))
        if user is None or not user.check_password(request.form.get('password', '')):
            return FORM.format('Sign In') + '<p>Invalid username or password</p>', 401
        session['user'] = user.username
        return redirect(url_for('main.index'))
    return FORM.format('Sign In')


@bp.route('/welcome/<username>')
def welcome(username):
    task = db.session.scalar(db.select(Task).filter_by(name='welcome', username=username))
    if task is None:
        abort(404)
    return {'done': task.result is not None, 'result': task.result}
