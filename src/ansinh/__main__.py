from ansinh.cli import run

run()
