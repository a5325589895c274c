"""An S3-compatible server for tests/s3.rs: moto's, on 127.0.0.1 at a free
port, with the bucket named on the command line. Prints `ready <port>`,
then serves until stdin closes."""

import logging
import socket
import sys

import boto3
from moto.server import ThreadedMotoServer


def main():
    bucket = sys.argv[1]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket)
    print(f"ready {port}", flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
