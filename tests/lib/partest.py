"""Shared test harness: throwaway users with ~/.aws files, config files,
PAM service folders, the test STS and the PAM driver under pam_wrapper.

    sys.path.insert(0, os.path.join(TOP, "tests", "lib")); import partest
    with partest.Sandbox("capture") as sb:
        sts = sb.start_sts()
        alice = sb.add_user("alice")              # local throwaway account, IAM user alice
        cfg = sb.write_config(sts)                # helper, run_dir, STS set for the test
        svc = sb.service("sshd", sb.stack(cfg))   # pam.d file using build/pam_assume_role.so
        r = sb.drive("sshd", alice.name, answers=[sts.totp("alice")])
        t.check("open succeeds", r.open == 0, r.text)
    t.done()

Everything made here (users, groups, folders) goes at exit, also on failure
or SIGTERM. So do the processes: each PAM driver runs in a process group of
its own, killed at cleanup, and at exit every child still running is
killed; a driver held at a "w" step gives up on its own after
PAM_DRIVER_HOLD_SECONDS (default 300). Test scripts run as root; they are
run by /usr/bin/python3.
"""

import atexit
import base64
import grp
import hashlib
import hmac
import os
import pwd
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("PAR_BUILD", os.path.join(TOP, "build"))
MODULE = os.path.join(BUILD, "pam_assume_role.so")
HELPER = os.path.join(BUILD, "pam-assume-role")
DRIVER = os.path.join(BUILD, "tests", "pam_driver")
PAM_WRAPPER = "libpam_wrapper.so"
ENVIRONMENTS = {
    "integration": "arn:aws:iam::222222222222:role/govuk-administrators",
    "staging": "arn:aws:iam::333333333333:role/govuk-administrators",
    "production": "arn:aws:iam::444444444444:role/govuk-administrators",
}

sys.path.insert(0, os.path.join(TOP, "tests", "sts"))


def own_group():
    """Popen arguments that put a child in a process group of its own."""
    if sys.version_info >= (3, 11):
        return {"process_group": 0}
    return {"preexec_fn": os.setpgrp}


def kill_group(p):
    """Kills the Popen p and its process group, and reaps p."""
    if p.poll() is None:
        for kill in (lambda: os.killpg(p.pid, signal.SIGKILL), p.kill):
            try:
                kill()
                break
            except OSError:
                pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def own_children():
    """Pids of the processes whose parent is this one."""
    me, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            found.append(int(name))
    return found


def kill_own_children():
    """At exit: whatever this script started and still runs goes (with its group)."""
    for pid in own_children():
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass


atexit.register(kill_own_children)   # registered first: runs after every other cleanup


class Results:
    """Counts checks; done() prints the closing "N passed, N failed" line."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % name, flush=True)
        else:
            self.failed += 1
            print("FAIL %s" % name, flush=True)
            for line in str(detail).splitlines()[-40:]:
                print("     | %s" % line, flush=True)
        return ok

    def done(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        sys.exit(1 if self.failed else 0)


def require_root_and_build(names=(MODULE, HELPER, DRIVER)):
    if os.geteuid() != 0:
        print("these tests need root (throwaway users, setuid to them)")
        sys.exit(1)
    missing = [n for n in names if not os.path.exists(n)]
    if missing:
        print("missing %s: run 'make tests-build' first" % ", ".join(missing))
        sys.exit(1)


def totp_code(seed, step):
    key = base64.b32decode(seed.upper() + "=" * (-len(seed) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


def conf_value(v, indent=""):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(v, dict):
        inner = "".join("%s  %s = %s;\n" % (indent, k, conf_value(x, indent + "  "))
                        for k, x in v.items())
        return "{\n%s%s}" % (inner, indent)
    if isinstance(v, (list, tuple)):
        if v and isinstance(v[0], dict):
            return "( %s )" % ", ".join(conf_value(x, indent) for x in v)
        return "[ %s ]" % ", ".join(conf_value(x, indent) for x in v)
    raise TypeError("no libconfig form for %r" % (v,))


class User:
    def __init__(self, name, iam):
        pw = pwd.getpwnam(name)
        self.name, self.uid, self.gid, self.home = name, pw.pw_uid, pw.pw_gid, pw.pw_dir
        self.iam = iam


class DriveResult:
    """The pam_driver's lines, parsed."""

    def __init__(self, text, rc, seconds):
        self.text, self.rc, self.seconds = text, rc, seconds
        self.prompts, self.infos, self.errors, self.env = [], [], [], {}
        self.envs = []  # one dict per "e" step; env is their union
        self.auth = self.setcred = self.open = self.close = self.chauthtok = None
        self.open_ms, self.host, self.pid = None, "", None
        for line in text.splitlines():
            key, _, value = line.partition(": ")
            if key == "prompt":
                self.prompts.append(value)
            elif key == "info":
                self.infos.append(value)
            elif key == "error":
                self.errors.append(value)
            elif key == "env-count":
                self.envs.append({})
            elif key == "env":
                name, _, v = value.partition("=")
                self.env[name] = v
                self.envs[-1][name] = v
            elif key in ("auth", "setcred", "open", "close", "chauthtok"):
                setattr(self, key, int(value.split()[0]))
            elif key == "open_ms":
                self.open_ms = int(value)
            elif key == "pid":
                self.pid = int(value)
            elif key == "host":
                self.host += value + "\n"


def mounts_under(path):
    """Mount points at or below path (the module mounts each person's
    RUN_DIR/UID), deepest first."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)),
                           line.split()[4])
            if point == path or point.startswith(path.rstrip("/") + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def unmount_under(path):
    for point in mounts_under(path):
        subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL)


class Sandbox:
    """A temporary folder, throwaway users and the test STS; removed at exit."""

    def __init__(self, name):
        self.name = name
        self.users = []
        self.sts = None
        self.children = []          # PAM drivers started here (Popen)
        self.dir = tempfile.mkdtemp(prefix="par-%s-" % name)
        os.chmod(self.dir, 0o755)  # the helper, as the test user, reads the config path
        self.run_dir = os.path.join(self.dir, "run")
        self.svc_dir = os.path.join(self.dir, "pam.d")
        os.makedirs(self.svc_dir)
        atexit.register(self.cleanup)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, sig, frame):
        self.cleanup()
        sys.exit(128 + sig)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    def cleanup(self):
        for p in self.children:
            kill_group(p)
        self.children = []
        if self.sts is not None:
            self.sts.stop()
            self.sts = None
        for u in self.users:
            subprocess.run(["pkill", "-KILL", "-u", u.name], stderr=subprocess.DEVNULL)
            subprocess.run(["userdel", "-r", "-f", u.name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            try:
                grp.getgrnam(u.name)
                subprocess.run(["groupdel", u.name], stderr=subprocess.DEVNULL)
            except KeyError:
                pass
        self.users = []
        if self.dir is not None:
            unmount_under(self.dir)
        if self.dir is not None and os.environ.get("PAR_KEEP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # --- the test STS -------------------------------------------------------

    def start_sts(self, totp_window=3, **opts):
        import stsctl
        self.sts = stsctl.start(os.path.join(self.dir, "sts"), totp_window=totp_window, **opts)
        self.totp_window = totp_window
        self.codes_given = set()
        os.chmod(os.path.join(self.dir, "sts"), 0o755)
        return self.sts

    def code(self, iam):
        """A valid code for iam never handed out before in this test.

        The helper refuses a code it already sent (even when STS never
        accepted it), so each code is used at most once here."""
        seed = self.sts.user(iam)["mfa_seed"]
        while True:
            now = int(time.time() // 30)
            w = self.totp_window
            for step in range(now + w, now - w, -1):
                c = totp_code(seed, step)
                if (iam, c) not in self.codes_given:
                    self.codes_given.add((iam, c))
                    return c
            time.sleep(2)

    # --- users --------------------------------------------------------------

    def add_user(self, iam, aws_files=True, extra_groups=()):
        """A local account "pt<iam><n>" holding IAM user iam's keys in ~/.aws."""
        name = "pt%s%s" % (iam[:8], secrets.token_hex(3))
        home = os.path.join(self.dir, "home", name)
        os.makedirs(os.path.dirname(home), exist_ok=True)
        os.chmod(os.path.dirname(home), 0o755)
        cmd = ["useradd", "-m", "-d", home, "-s", "/bin/sh", "-U", name]
        if extra_groups:
            cmd[1:1] = ["-G", ",".join(extra_groups)]
        subprocess.run(cmd, check=True)
        user = User(name, iam)
        self.users.append(user)
        if aws_files and self.sts is not None:
            self.write_aws_files(user)
        return user

    def write_aws_files(self, user):
        u = self.sts.user(user.iam)
        aws = os.path.join(user.home, ".aws")
        os.makedirs(aws, exist_ok=True)
        with open(os.path.join(aws, "credentials"), "w") as f:
            f.write("[gds]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (u["access_key_id"], u["secret_access_key"]))
        with open(os.path.join(aws, "config"), "w") as f:
            f.write("[profile gds]\nregion = eu-west-1\nmfa_serial = %s\n" % u["mfa_serial"])
            for env, arn in ENVIRONMENTS.items():
                f.write("\n[profile govuk-%s]\nrole_arn = %s\nmfa_serial = %s\n"
                        "source_profile = gds\nregion = eu-west-1\n"
                        % (env, arn, u["mfa_serial"]))
        for path in (aws, os.path.join(aws, "credentials"), os.path.join(aws, "config")):
            os.chown(path, user.uid, user.gid)
            os.chmod(path, 0o700 if path == aws else 0o600)

    # --- config and PAM services --------------------------------------------

    def write_config(self, sts=None, name="pam_assume_role.conf", **settings):
        """A config for the tests: the build's helper, run_dir here, the test STS."""
        sts = sts or self.sts
        values = {"region": "eu-west-1", "helper": HELPER, "run_dir": self.run_dir,
                  "timeout_ms": 8000, "connect_timeout_ms": 2000,
                  "environments": {e: {"role_arn": a} for e, a in ENVIRONMENTS.items()},
                  "login_environments": ["integration"]}
        if sts is not None:
            values.update(sts_endpoint=sts.url, ca_file=sts.ca_file)
        values.update(settings)
        for key in [k for k, v in values.items() if v is None]:
            del values[key]
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            for key, value in values.items():
                f.write("%s = %s;\n" % (key, conf_value(value)))
        os.chmod(path, 0o644)
        return path

    def stack(self, config, auth_args="", session_args="", password=None,
              auth_control="optional", session_control="optional"):
        """pam.d lines. password: None (pam_permit), "before" (pam_unix asks
        first, prompt mode) or "first_pass" (pam_unix use_first_pass after
        this module, suffix mode)."""
        mod = "%s config=%s" % (MODULE, config)
        ours = "auth %s %s %s" % (auth_control, mod, auth_args)
        if password == "first_pass":
            lines = [ours, "auth required pam_unix.so use_first_pass"]
        elif password == "before":
            lines = ["auth required pam_unix.so", ours]
        else:
            lines = ["auth required pam_permit.so", ours]
        lines.append("account required pam_permit.so")
        lines.append("session %s %s %s" % (session_control, mod, session_args))
        return "\n".join(lines) + "\n"

    def set_password(self, user, password):
        subprocess.run(["chpasswd"], input="%s:%s\n" % (user.name, password), text=True,
                       check=True)

    def service(self, name, text):
        with open(os.path.join(self.svc_dir, name), "w") as f:
            f.write(text)
        return name

    # --- running PAM ----------------------------------------------------------

    def driver_cmd(self, service, user, steps="aoec", ruser=None, rhost=None, tty=None,
                   wait_file=None, sigchld=None, session_user=None, xdisplay=None,
                   pam_env=None):
        cmd = [DRIVER, "-s", steps]
        for entry in ([pam_env] if isinstance(pam_env, str) else pam_env or []):
            cmd += ["-E", entry]
        for flag, value in (("-r", ruser), ("-h", rhost), ("-t", tty), ("-w", wait_file),
                            ("-c", sigchld), ("-U", session_user), ("-x", xdisplay)):
            if value is not None:
                cmd += [flag, value]
        return cmd + [service, user]

    def driver_env(self, extra=None):
        env = dict(os.environ)
        env.update(LD_PRELOAD=PAM_WRAPPER, PAM_WRAPPER="1",
                   PAM_WRAPPER_SERVICE_DIR=self.svc_dir, PAM_WRAPPER_DEBUGLEVEL="2")
        env.update(extra or {})
        return env

    def drive(self, service, user, answers=(), timeout=120, env=None, **kw):
        """Runs one PAM transaction; answers go to the conversation in order."""
        start = time.monotonic()
        p = self._start(self.driver_cmd(service, user, **kw), env, stderr=subprocess.PIPE)
        try:
            out, err = p.communicate("".join(a + "\n" for a in answers), timeout=timeout)
        finally:
            kill_group(p)
            self.children.remove(p)
        return DriveResult(out + err, p.returncode, time.monotonic() - start)

    def _start(self, cmd, env, stderr):
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                             text=True, env=self.driver_env(env), **own_group())
        self.children.append(p)
        return p

    def spawn_until(self, service, user, wait_file, answers=(), until="env: PAM_ASSUME_ROLE_DIR=",
                    timeout=60, **kw):
        """A transaction held open at its "w" step: returns (Popen, lines so far)."""
        p = self.spawn(service, user, answers=answers, wait_file=wait_file, **kw)
        lines, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith(until) or line.startswith("open: 1") or \
                    (line.startswith("open: ") and not line.startswith("open: 0")):
                break
        return p, lines

    def spawn(self, service, user, answers=(), env=None, **kw):
        """Starts a transaction in the background (Popen; stdout is the driver's)."""
        p = self._start(self.driver_cmd(service, user, **kw), env, stderr=subprocess.STDOUT)
        p.stdin.write("".join(a + "\n" for a in answers))
        p.stdin.close()
        return p


CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "PAM_ASSUME_ROLE_ENVIRONMENT", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                   "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CREDENTIAL_EXPIRATION",
                   "PAM_ASSUME_ROLE_CODE")


def credential_files(run_dir, uid):
    """Files in the person's session folders other than the metadata and the
    session lock: a session without credentials keeps a folder holding only
    "session" (and ".lock"), for 'pam-assume-role refresh'."""
    top = os.path.join(run_dir, str(uid))
    found = []
    if os.path.isdir(top):
        for sid in os.listdir(top):
            d = os.path.join(top, sid)
            if os.path.isdir(d) and not os.path.islink(d):
                found += [os.path.join(sid, f) for f in os.listdir(d)
                          if f not in ("session", ".lock")]
    return found


def no_credentials(env):
    """No credential in a PAM environment; PAM_ASSUME_ROLE_DIR, if set, names
    a folder holding nothing but the session's metadata."""
    d = env.get("PAM_ASSUME_ROLE_DIR")
    return (not any(v in env for v in CREDENTIAL_VARS) and
            (d is None or not os.path.isdir(d) or
             sorted(set(os.listdir(d)) - {".lock"}) == ["session"]))


def session_files(path):
    """{name: (uid, mode)} for path and everything under it."""
    out = {}
    for root, dirs, files in os.walk(path):
        for n in [root] + [os.path.join(root, f) for f in files]:
            st = os.lstat(n)
            out[n] = (st.st_uid, st.st_mode & 0o7777)
    return out


def read_ini_profiles(path):
    """A tiny INI reader for the session's credentials file."""
    profiles, cur = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            m = re.match(r"\[(?:profile )?(.+)\]$", line)
            if m:
                cur = profiles.setdefault(m.group(1), {})
            elif "=" in line and cur is not None:
                k, _, v = line.partition("=")
                cur[k.strip()] = v.strip()
    return profiles
