#!/usr/bin/python3
"""Start, stop and steer the test STS (test_sts.py), from Python or a shell.

Python:
    sys.path.insert(0, "tests/sts"); import stsctl
    sts = stsctl.start(workdir)            # CA made in workdir if missing
    sts.url, sts.port, sts.ca_file, sts.ca_path
    code = sts.totp("alice"); sts.fault("delay", seconds=5, count=1)
    sts.stop()

Shell:
    stsctl.py start DIR [--users FILE] [--cert server|rogue|wronghost]
                        [--region R] [--totp-window N] [--max-skew S]
                        [--credential-lifetime S] [--no-pad-values] [--plain-http]
    stsctl.py stop DIR
    stsctl.py totp DIR USER [--wait] | wrong-code DIR USER
    stsctl.py issued DIR | requests DIR
    stsctl.py signin-tokens DIR | logins DIR | federation-requests DIR
    stsctl.py fault DIR MODE [key=value ...] | clear-faults DIR
    stsctl.py clock DIR OFFSET | region-disabled DIR on|off | reset DIR

DIR holds ca.pem (the CA clients trust), certs/ (the same as a hashed
CAPATH folder), users.json (the fixture in use), sts.url, sts.pid and
sts.log (one line per request).
"""

import argparse
import atexit
import fcntl
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
SERVER = os.path.join(HERE, "test_sts.py")
MAKE_CA = os.path.join(HERE, "make_ca.sh")
DEFAULT_USERS = os.path.join(HERE, "default_users.json")
START_DEADLINE = 10.0
CA_FILES = ("ca.pem", "server.pem", "server.key", "rogue-ca.pem", "rogue.pem",
            "rogue.key", "wronghost.pem", "wronghost.key", "certs")
# Which CA the control channel trusts for each server certificate.
CONTROL_CA = {"server": "ca.pem", "rogue": "rogue-ca.pem", "wronghost": "ca.pem"}


class StsControlError(RuntimeError):
    pass


def ensure_ca(workdir):
    """Makes the test CA and certificates in workdir unless already there."""
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, ".ca.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if all(os.path.exists(os.path.join(workdir, f)) for f in CA_FILES):
            return
        subprocess.run([MAKE_CA, workdir], check=True)


class Sts:
    """A running test STS and its control API."""

    def __init__(self, workdir, process=None):
        self.dir = os.path.abspath(workdir)
        with open(os.path.join(self.dir, "sts.control.json")) as f:
            info = json.load(f)
        self.url = info["url"]
        self.port = int(urllib.parse.urlsplit(self.url).port)
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.ca_path = os.path.join(self.dir, "certs")
        self.users_file = info["users"]
        self.region = info["region"]
        self._control_ca = info["control_ca"]
        self._check_hostname = info["check_hostname"]
        self._process = process
        with open(self.users_file) as f:
            self.fixture = json.load(f)

    # --- fixture ---

    def user(self, name):
        for u in self.fixture["users"]:
            if u["name"] == name:
                return u
        raise KeyError("no user %r in %s" % (name, self.users_file))

    def env_for(self, name):
        """Environment for an AWS client signing as this fixture user."""
        u = self.user(name)
        return {"AWS_ACCESS_KEY_ID": u["access_key_id"],
                "AWS_SECRET_ACCESS_KEY": u["secret_access_key"],
                "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region,
                "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_CA_BUNDLE": self.ca_file}

    # --- control API ---

    def call(self, method, path, data=None, timeout=45):
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme == "https":
            ctx = ssl.create_default_context(cafile=self._control_ca)
            ctx.check_hostname = self._check_hostname
            conn = http.client.HTTPSConnection(parts.hostname, parts.port,
                                               timeout=timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            body = json.dumps(data).encode() if data is not None else None
            headers = {"Content-Type": "application/json"} if body else {}
            conn.request(method, "/_test/" + path, body=body, headers=headers)
            resp = conn.getresponse()
            answer = json.loads(resp.read() or b"null")
        finally:
            conn.close()
        if resp.status != 200:
            raise StsControlError("test STS control %s %s failed: %s"
                                  % (method, path, answer.get("error", resp.status)))
        return answer

    def totp(self, user, wait=False):
        q = urllib.parse.urlencode({"user": user, **({"wait": "1"} if wait else {})})
        return self.call("GET", "totp?" + q)["code"]

    def wrong_code(self, user):
        return self.call("GET", "wrong-code?" + urllib.parse.urlencode({"user": user}))["code"]

    def issued(self):
        return self.call("GET", "issued")

    def requests(self):
        return self.call("GET", "requests")

    @property
    def signin_url(self):
        """The sign-in (federation) endpoint, on the same server as STS."""
        return self.url + "/federation"

    @property
    def console_url(self):
        """A stand-in console page: as Destination, followed after login (with
        the login's cookie), it names the role session signed in."""
        return self.url + "/console/home"

    def signin_tokens(self):
        """The SigninTokens getSigninToken handed out, oldest first."""
        return self.call("GET", "signin-tokens")

    def logins(self):
        """Every Action=login request, with ok and the role the token stood for."""
        return self.call("GET", "logins")

    def federation_requests(self):
        """Every request to /federation, refused ones and faults included."""
        return self.call("GET", "federation-requests")

    def fault(self, mode, **params):
        return self.call("POST", "fault", dict(params, mode=mode))

    def clear_faults(self):
        return self.call("DELETE", "fault")

    def clock(self, offset):
        return self.call("POST", "clock", {"offset": offset})

    def region_disabled(self, on=True):
        return self.call("POST", "region-disabled", {"on": bool(on)})

    def reset(self):
        return self.call("POST", "reset", {})

    def health(self):
        return self.call("GET", "health", timeout=2)

    # --- life ---

    def stop(self):
        stop_pid_file(self.dir)
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def write_users(workdir, users):
    path = os.path.join(workdir, "users.json")
    if users is None:
        shutil.copyfile(DEFAULT_USERS, path)
    elif isinstance(users, dict):
        with open(path, "w") as f:
            json.dump(users, f, indent=2)
    elif os.path.abspath(users) != path:
        shutil.copyfile(users, path)
    return path


def start(workdir, users=None, cert="server", region="eu-west-1", totp_window=1,
          max_skew=300, credential_lifetime=None, pad_values=True, plain_http=False,
          port=0, log=None, detach=False):
    """Starts the server for workdir and waits (up to 10 s) until it answers.

    users: None (default fixture), a fixture dict, or a path to one.
    cert: "server" (trusted), "rogue" (another CA) or "wronghost" (wrong name).
    detach: keep running after this process exits (stop with stop_pid_file).
    """
    workdir = os.path.abspath(workdir)
    ensure_ca(workdir)
    stop_pid_file(workdir)
    users_path = write_users(workdir, users)
    port_file = os.path.join(workdir, "sts.port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    args = [PYTHON, SERVER, "--users", users_path, "--port", str(port),
            "--port-file", port_file, "--region", region,
            "--totp-window", str(totp_window), "--max-skew", str(max_skew),
            "--log", log or os.path.join(workdir, "sts.log")]
    if plain_http:
        args.append("--plain-http")
    else:
        args += ["--cert", os.path.join(workdir, cert + ".pem"),
                 "--key", os.path.join(workdir, cert + ".key")]
    if credential_lifetime:
        args += ["--credential-lifetime", str(credential_lifetime)]
    if not pad_values:
        args.append("--no-pad-values")
    stderr_path = os.path.join(workdir, "sts.stderr")
    with open(stderr_path, "w") as err:
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                   start_new_session=detach, close_fds=True)
    write_text(os.path.join(workdir, "sts.pid"), "%d\n" % process.pid)
    chosen = wait_for_port(process, port_file, stderr_path)
    url = "%s://127.0.0.1:%d" % ("http" if plain_http else "https", chosen)
    write_text(os.path.join(workdir, "sts.url"), url + "\n")
    write_text(os.path.join(workdir, "sts.control.json"), json.dumps({
        "url": url, "users": users_path, "region": region,
        "control_ca": os.path.join(workdir, CONTROL_CA[cert]),
        "check_hostname": cert != "wronghost"}))
    sts = Sts(workdir, None if detach else process)
    wait_for_health(sts, process, stderr_path)
    if not detach:
        atexit.register(sts.stop)
    return sts


def write_text(path, text):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def startup_failure(process, stderr_path, why):
    if process.poll() is None:
        process.kill()
        process.wait()
    with open(stderr_path) as f:
        tail = f.read()[-2000:]
    return StsControlError("test STS did not start: %s\n%s" % (why, tail))


def wait_for_port(process, port_file, stderr_path):
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise startup_failure(process, stderr_path, "it exited with %d" % process.returncode)
        try:
            with open(port_file) as f:
                return int(f.read())
        except (OSError, ValueError):
            time.sleep(0.02)
    raise startup_failure(process, stderr_path, "no port after %d s" % START_DEADLINE)


def wait_for_health(sts, process, stderr_path):
    deadline = time.monotonic() + START_DEADLINE
    while True:
        try:
            sts.health()
            return
        except (OSError, StsControlError) as err:
            if time.monotonic() > deadline or process.poll() is not None:
                raise startup_failure(process, stderr_path, "no answer: %s" % err)
            time.sleep(0.05)


def stop_pid_file(workdir):
    """Stops the server whose pid is in workdir/sts.pid, if it runs."""
    pid_path = os.path.join(workdir, "sts.pid")
    try:
        with open(pid_path) as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return
    if not is_test_sts(pid):
        pid = None
    else:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pid = None
    deadline = time.monotonic() + 5
    while pid is not None and time.monotonic() < deadline:
        if not process_alive(pid):
            break
        time.sleep(0.05)
    else:
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    try:
        os.unlink(pid_path)
    except FileNotFoundError:
        pass


def is_test_sts(pid):
    """Guards against a stale pid file naming some other process."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return SERVER.encode() in f.read()
    except OSError:
        return False


def process_alive(pid):
    try:
        # Reap it if it is our child; a zombie counts as gone.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def fault_value(text):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text, text)


def main(argv):
    p = argparse.ArgumentParser(description="Start, stop and steer the test STS.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start")
    s.add_argument("dir")
    s.add_argument("--users")
    s.add_argument("--cert", choices=sorted(CONTROL_CA), default="server")
    s.add_argument("--region", default="eu-west-1")
    s.add_argument("--totp-window", type=int, default=1)
    s.add_argument("--max-skew", type=int, default=300)
    s.add_argument("--credential-lifetime", type=int)
    s.add_argument("--no-pad-values", action="store_true")
    s.add_argument("--plain-http", action="store_true")
    s.add_argument("--port", type=int, default=0)
    for name in ("stop", "issued", "requests", "clear-faults", "reset", "signin-tokens",
                 "logins", "federation-requests"):
        sub.add_parser(name).add_argument("dir")
    for name in ("totp", "wrong-code"):
        c = sub.add_parser(name)
        c.add_argument("dir")
        c.add_argument("user")
        if name == "totp":
            c.add_argument("--wait", action="store_true",
                           help="wait for the next step when every code was used")
    c = sub.add_parser("fault")
    c.add_argument("dir")
    c.add_argument("mode")
    c.add_argument("params", nargs="*", metavar="key=value")
    c = sub.add_parser("clock")
    c.add_argument("dir")
    c.add_argument("offset", type=float)
    c = sub.add_parser("region-disabled")
    c.add_argument("dir")
    c.add_argument("on", choices=("on", "off"))
    a = p.parse_args(argv)

    if a.command == "start":
        sts = start(a.dir, users=a.users, cert=a.cert, region=a.region,
                    totp_window=a.totp_window, max_skew=a.max_skew,
                    credential_lifetime=a.credential_lifetime,
                    pad_values=not a.no_pad_values, plain_http=a.plain_http,
                    port=a.port, detach=True)
        print(sts.url)
        return 0
    if a.command == "stop":
        stop_pid_file(os.path.abspath(a.dir))
        return 0
    sts = Sts(a.dir)
    if a.command == "totp":
        print(sts.totp(a.user, wait=a.wait))
    elif a.command == "wrong-code":
        print(sts.wrong_code(a.user))
    elif a.command in ("issued", "requests", "signin-tokens", "logins",
                       "federation-requests"):
        print(json.dumps(getattr(sts, a.command.replace("-", "_"))(), indent=2))
    elif a.command == "fault":
        params = {}
        for item in a.params:
            key, sep, value = item.partition("=")
            if not sep:
                p.error("fault parameters are key=value, got %r" % item)
            params[key] = fault_value(value)
        sts.fault(a.mode, **params)
    elif a.command == "clear-faults":
        sts.clear_faults()
    elif a.command == "clock":
        sts.clock(a.offset)
    elif a.command == "region-disabled":
        sts.region_disabled(a.on == "on")
    elif a.command == "reset":
        sts.reset()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (StsControlError, OSError, subprocess.CalledProcessError) as err:
        print("stsctl: %s" % err, file=sys.stderr)
        sys.exit(1)
