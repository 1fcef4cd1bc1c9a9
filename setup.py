"""mmzoom: an MMagic plugin for learned optical zoom (SDAN) and single-image SR (RNAN).

The supported install is ``bash tools/install_env.sh`` (see README): mmcv must be built from source
against the exact torch build and mmagic is installed without its declared extras, which a plain
``pip install`` of this file cannot arrange. ``install_requires`` lists what mmzoom itself imports.
"""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    with open(osp.join(HERE, 'requirements', name)) as f:
        return [line.split('#')[0].strip() for line in f
                if line.split('#')[0].strip()]


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'mmzoom', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


setup(
    name='mmzoom',
    version=read_version(),
    description='Learned optical zoom (SDAN) and single-image SR (RNAN) for MMagic',
    long_description=open(osp.join(HERE, 'README.md')).read() if osp.exists(
        osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmzoom', 'mmzoom.*']),
    python_requires='>=3.9,<3.13',
    install_requires=read_requirements('runtime.txt'),
    extras_require=dict(tests=read_requirements('tests.txt'),
                        deploy=read_requirements('deploy.txt')),
    license='Apache License 2.0',
    zip_safe=False,
)
