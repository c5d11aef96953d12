#!/usr/bin/python3
"""Source checks run by `make check` (house style, STYLE.md §2, §5, §6, §11):

1. every log call at debug level or above carries an AJWT_LOGNO tag, and no
   tag is used twice; trace calls carry none;
2. the pure layers include no httpd header;
3. every Check START_TEST is registered with tcase_add_test;
4. every config struct member is set in create and in merge.

`check_source.py --next` prints the highest tag used in each range.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PURE = ["ajwt_b64url", "ajwt_json", "ajwt_json_tree", "ajwt_key", "ajwt_jws", "ajwt_claims",
        "ajwt_token", "ajwt_err", "ajwt_url", "ajwt_cookie", "ajwt_vcache",
        "ajwt_jwk"]
LOG_CALL = re.compile(r"\bap_log_(?:r|p|c|)error\s*\(")
LEVEL = re.compile(r"APLOG_(EMERG|ALERT|CRIT|ERR|WARNING|NOTICE|INFO|DEBUG|TRACE\d)")
TAG = re.compile(r"AJWT_LOGNO\((\d{5})\)")
problems = []


def c_sources():
    return sorted([ROOT / "mod_auth_jwt.c"] + list((ROOT / "modules").glob("*.c")))


def call_text(src, start):
    """The text of the call starting at start, up to its closing paren."""
    depth, i = 0, start
    while i < len(src):
        ch = src[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return src[start:i + 1]
        elif ch == '"':
            i += 1
            while i < len(src) and src[i] != '"':
                i += 2 if src[i] == "\\" else 1
        i += 1
    return src[start:]


def check_logs():
    seen = {}
    for path in c_sources():
        src = path.read_text()
        for m in LOG_CALL.finditer(src):
            text = call_text(src, m.start())
            line = src.count("\n", 0, m.start()) + 1
            where = f"{path.relative_to(ROOT)}:{line}"
            lvl = LEVEL.search(text)
            tags = TAG.findall(text)
            if not lvl:
                problems.append(f"{where}: log call without an APLOG_ level")
                continue
            if lvl.group(1).startswith("TRACE"):
                if tags:
                    problems.append(f"{where}: trace log call carries a tag")
                continue
            if len(tags) != 1:
                problems.append(f"{where}: log call at {lvl.group(1)} needs one AJWT_LOGNO tag")
                continue
            if tags[0] in seen:
                problems.append(f"{where}: tag AJWT{tags[0]} also used at {seen[tags[0]]}")
            seen[tags[0]] = where
    # a tag outside a log call is fine (none expected), but report stray ones
    return seen


def check_pure_includes():
    bad = re.compile(r'#\s*include\s*[<"](httpd\.h|http_[^">]*|ap_[^">]*|mod_[^">]*|util_[^">]*)[">]')
    for name in PURE:
        for ext in (".c", ".h"):
            path = ROOT / "modules" / (name + ext)
            if path.exists():
                for m in bad.finditer(path.read_text()):
                    problems.append(f"{path.relative_to(ROOT)}: pure layer includes {m.group(1)}")


def check_tests_registered():
    for path in sorted((ROOT / "tests" / "unit").glob("test_*.c")):
        src = path.read_text()
        defined = set(re.findall(r"START_TEST\s*\(\s*(\w+)\s*\)", src))
        added = set(re.findall(r"tcase_add_(?:loop_)?test\s*\(\s*\w+\s*,\s*(\w+)", src))
        for t in sorted(defined - added):
            problems.append(f"{path.relative_to(ROOT)}: START_TEST({t}) is never registered")


def struct_members(header, name):
    src = (ROOT / "modules" / header).read_text()
    m = re.search(r"typedef struct\s*\{([^{}]*)\}\s*" + name + r"\s*;", src)
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    members = []
    for decl in body.split(";"):
        decl = decl.strip()
        if decl:
            members.append(re.findall(r"(\w+)\s*$", decl)[0])
    return members



def body_of(src, name):
    m = re.search(r"\b" + name + r"\s*\([^;{]*\)\s*\{", src)
    if not m:
        return ""
    i, depth = m.end() - 1, 0
    for j in range(i, len(src)):
        if src[j] == "{":
            depth += 1
        elif src[j] == "}":
            depth -= 1
            if depth == 0:
                return src[i:j]
    return src[i:]


def check_config_members():
    src = (ROOT / "modules" / "ajwt_config.c").read_text()
    for struct, create, merge in (
            ("ajwt_dir_conf_t", "ajwt_config_create_dir", "ajwt_config_merge_dir"),
            ("ajwt_server_conf_t", "ajwt_config_create_server", "ajwt_config_merge_server")):
        members = struct_members("ajwt_config.h", struct)
        cbody, mbody = body_of(src, create), body_of(src, merge)
        for f in members:
            if not re.search(r"->" + f + r"\b", cbody):
                problems.append(f"{struct}.{f} is not set in {create}")
            if not re.search(r"AJWT_MERGE_(?:INT|PTR)\(" + f + r"\)", mbody):
                problems.append(f"{struct}.{f} is not merged in {merge}")


def main():
    seen = check_logs()
    if "--next" in sys.argv:
        ranges = {}
        for tag in seen:
            ranges.setdefault(int(tag) // 1000, []).append(int(tag))
        for k in sorted(ranges):
            print(f"range {k:02d}xxx: highest AJWT{max(ranges[k]):05d}")
        return 0
    check_pure_includes()
    check_tests_registered()
    check_config_members()
    for p in problems:
        print("check:", p)
    print(f"source checks: {len(seen)} log tags, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
