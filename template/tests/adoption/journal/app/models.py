import hashlib
import hmac

from werkzeug.security import check_password_hash, generate_password_hash

from app import db


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), index=True, unique=True, nullable=False)
    password_hash = db.Column(db.String(256))

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)


class Task(db.Model):
    """A job for the worker, RQ-style: queued by a request, done in another process."""
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(64), nullable=False)
    username = db.Column(db.String(64), nullable=False)
    result = db.Column(db.String(128))

    def run(self, secret_key):
        signature = hmac.new(secret_key.encode(), self.username.encode(), hashlib.sha256)
        self.result = f'welcome {self.username} {signature.hexdigest()[:12]}'
