"""A slow STS for benches/hook.sh: every AssumeRole answered after DELAY seconds with fresh
keys that expire in an hour. Prints its port on stdout, then serves until killed.
Usage: python3 benches/slow_sts.py DELAY
"""

import datetime
import http.server
import socketserver
import sys
import time

DELAY = float(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(DELAY)
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        body = (
            '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<AssumeRoleResult><Credentials><AccessKeyId>ASIABENCHNEW</AccessKeyId>"
            "<SecretAccessKey>benchsecret</SecretAccessKey><SessionToken>benchtoken</SessionToken>"
            f"<Expiration>{expires:%Y-%m-%dT%H:%M:%SZ}</Expiration></Credentials>"
            "<AssumedRoleUser><AssumedRoleId>AROABENCH:awsenv</AssumedRoleId>"
            "<Arn>arn:aws:sts::123456789012:assumed-role/ops/awsenv</Arn></AssumedRoleUser>"
            "</AssumeRoleResult><ResponseMetadata><RequestId>bench</RequestId>"
            "</ResponseMetadata></AssumeRoleResponse>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
