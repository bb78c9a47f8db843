"""ament_python set-up for brainbody. config/, launch/ and urdf/ live at the repository
top level (the user's design card) and are installed into share/brainbody from there."""
from glob import glob
import os

from setuptools import find_packages, setup

package_name = 'brainbody'
here = os.path.dirname(os.path.abspath(__file__))
top = os.path.relpath(os.path.join(here, '..', '..'), here)


def top_files(folder, pattern):
    return sorted(glob(os.path.join(top, folder, pattern)))


setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/config', top_files('config', '*.yaml')),
        ('share/' + package_name + '/launch', top_files('launch', '*.launch.py')),
        ('share/' + package_name + '/urdf', top_files('urdf', '*.urdf')),
        ('share/' + package_name + '/worlds', top_files('worlds', '*.sdf')),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='brainbody maintainers',
    maintainer_email='maintainers@brainbody.example.com',
    description='Brain-body control stack for ROS 2 manipulators',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'intent_node = brainbody.ros.intent_node:main',
            'body_node = brainbody.ros.body_node:main',
            'sim_node = brainbody.ros.sim_node:main',
            'brainbody = brainbody.cli:main',
        ],
    },
)
