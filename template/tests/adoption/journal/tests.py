import logging
import os
import signal
import tempfile
import threading
import unittest

os.environ['LOG_TO_STDOUT'] = '1'

from app import create_app, db  # noqa: E402
from app.models import Task, User  # noqa: E402
from config import Config  # noqa: E402
import worker  # noqa: E402


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = 'test-key'
    SQLALCHEMY_DATABASE_URI = 'sqlite://'


class UserModelCase(unittest.TestCase):
    def setUp(self):
        self.app = create_app(TestConfig)
        self.app_context = self.app.app_context()
        self.app_context.push()
        db.create_all()
        self.client = self.app.test_client()

    def tearDown(self):
        db.session.remove()
        db.drop_all()
        self.app_context.pop()

    def test_password_hashing(self):
        u = User(username='susan')
        u.set_password('cat')
        self.assertFalse(u.check_password('dog'))
        self.assertTrue(u.check_password('cat'))

    def test_register_login_and_the_worker(self):
        self.assertEqual(self.client.get('/').status_code, 302)
        self.assertIn(b'Register', self.client.get('/auth/register').data)
        self.assertIn(b'Sign In', self.client.get('/auth/login').data)
        r = self.client.post('/auth/register', data={'username': 'ann', 'password': 'pw'})
        self.assertEqual(r.status_code, 302)
        r = self.client.post('/auth/register', data={'username': 'ann', 'password': 'pw'})
        self.assertEqual(r.status_code, 400)
        r = self.client.post('/auth/login', data={'username': 'ann', 'password': 'no'})
        self.assertEqual(r.status_code, 401)
        r = self.client.post('/auth/login', data={'username': 'ann', 'password': 'pw'})
        self.assertEqual(r.status_code, 302)
        self.assertIn(b'Hi, ann!', self.client.get('/').data)
        self.assertEqual(self.client.get('/auth/welcome/bob').status_code, 404)
        self.assertEqual(self.client.get('/auth/welcome/ann').json['done'], False)
        self.assertEqual(worker.work_once(self.app), 1)
        self.assertEqual(worker.work_once(self.app), 0)
        self.assertTrue(self.client.get('/auth/welcome/ann').json['result'].startswith(
            'welcome ann '))

    def test_the_worker_runs_until_stopped(self):
        db.session.add(Task(name='welcome', username='bob'))
        db.session.commit()
        timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGTERM))
        previous = signal.getsignal(signal.SIGTERM)
        timer.start()
        try:
            worker.main(self.app, interval=0.05)
        finally:
            signal.signal(signal.SIGTERM, previous)
            worker.running = True
        self.assertIsNotNone(db.session.scalar(db.select(Task)).result)

    def test_the_served_app_is_configured(self):
        import journal

        self.assertEqual(journal.app.config['JOURNAL_TITLE'], 'The Journal')
        self.assertEqual(set(journal.make_shell_context()), {'db', 'User', 'Task'})

    def test_logs_go_to_a_file_unless_to_stdout(self):
        class FileLogs(Config):
            LOG_TO_STDOUT = None

        cwd = os.getcwd()
        with tempfile.TemporaryDirectory() as folder:
            os.chdir(folder)
            try:
                create_app(FileLogs)
                self.assertTrue(os.path.exists('logs/journal.log'))
            finally:
                os.chdir(cwd)
        handlers = create_app(Config).logger.handlers
        self.assertTrue(any(type(h) is logging.StreamHandler for h in handlers))


if __name__ == '__main__':
    unittest.main(verbosity=2)
