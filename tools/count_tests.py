#!/usr/bin/env python3
"""Counts test cases from Bazel's per-target test.xml files and prints `tests: N passed, M failed`.

Each gtest target reports its own cases; a target without cases in its XML (a crash, a timeout,
a plain script test) counts as one case with the target's own verdict.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main() -> int:
    targets = [t for t in sys.stdin.read().split() if t.startswith("//")]
    testlogs = Path(subprocess.check_output(["bazel", "info", "bazel-testlogs"], text=True,
                                            stderr=subprocess.DEVNULL).strip())
    passed = failed = 0
    failing_targets = []
    for target in targets:
        package, name = target[2:].split(":")
        log_dir = testlogs / package / name
        xml_path = log_dir / "test.xml"
        cases_passed = cases_failed = 0
        if xml_path.exists():
            try:
                root = ET.parse(xml_path).getroot()
                for case in root.iter("testcase"):
                    if case.get("status") == "notrun" or case.find("skipped") is not None:
                        continue
                    if case.find("failure") is not None or case.find("error") is not None:
                        cases_failed += 1
                    else:
                        cases_passed += 1
            except ET.ParseError:
                cases_failed += 1
        status_ok = (log_dir / "test.log").exists() and not (log_dir / "test.failed").exists()
        if cases_passed + cases_failed == 0:
            if status_ok and xml_path.exists():
                cases_passed = 1
            else:
                cases_failed = 1
        if cases_failed:
            failing_targets.append(target)
        passed += cases_passed
        failed += cases_failed
    for target in failing_targets:
        print(f"failed: {target}")
    print(f"tests: {passed} passed, {failed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
