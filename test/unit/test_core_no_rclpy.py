"""The core (brain/, body/, sim/ and the shared modules) never imports rclpy or ROS message
packages: it must stay plain Python + numpy, testable without ROS. Checked statically with
ast so that a lazy import inside a function is caught too."""
import ast
import pathlib

import pytest

import brainbody

PACKAGE = pathlib.Path(brainbody.__file__).resolve().parent
CORE_PACKAGES = ("brain", "body", "sim", "runtime")
# Every top-level module is core except the adapters: ros/ and the command line (cli.py).
ADAPTER_MODULES = ("cli.py",)
FORBIDDEN = {"rclpy", "rclpy_message_converter", "launch", "launch_ros", "brainbody_interfaces",
             "std_msgs", "sensor_msgs", "geometry_msgs", "trajectory_msgs", "diagnostic_msgs",
             "rosgraph_msgs", "builtin_interfaces", "brainbody.ros"}


def core_files():
    files = sorted(p for p in PACKAGE.glob("*.py") if p.name not in ADAPTER_MODULES)
    for package in CORE_PACKAGES:
        files += sorted((PACKAGE / package).rglob("*.py"))
    return files


def imported_modules(path, root=PACKAGE.parent):
    """Every module name an import statement in ``path`` names, including lazy and relative ones."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:     # relative import: resolve against the file's package
                parts = path.relative_to(root).with_suffix("").parts[:-node.level]
                module = ".".join(parts + ((node.module,) if node.module else ()))
            else:
                module = node.module or ""
            names.append(module)
            names += [f"{module}.{alias.name}" for alias in node.names]
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("import_module", "__import__")
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.append(str(node.args[0].value))
    return names


def forbidden(name):
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_the_core_file_list_is_complete():
    files = core_files()
    assert all(f.is_file() for f in files), [str(f) for f in files if not f.is_file()]
    for package in CORE_PACKAGES:
        assert any(f.parent.name == package for f in files), f"no modules found in {package}/"


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_imports_no_ros(path):
    bad = [name for name in imported_modules(path) if forbidden(name)]
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}; the core must not depend on ROS"


def test_the_checker_catches_rclpy_imports(tmp_path):
    fake = tmp_path / "brainbody" / "body" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("import numpy\n"
                    "def f():\n    import rclpy.node\n"
                    "from rclpy.qos import QoSProfile\n"
                    "from ..ros import body_node\n"
                    "import importlib\nimportlib.import_module('std_msgs.msg')\n")
    names = imported_modules(fake, root=tmp_path)
    assert {n for n in names if forbidden(n)} == {"rclpy.node", "rclpy.qos", "rclpy.qos.QoSProfile",
                                                  "brainbody.ros", "brainbody.ros.body_node", "std_msgs.msg"}
    assert not forbidden("numpy") and not forbidden("launchpad") and not forbidden("brainbody.body")
