"""Render qdhcp metadata proxy configs with neutron's own template.

    haproxy_cfg.py [--socket PATH] NETWORK_ID:TAP [NETWORK_ID:TAP ...]

Loads the lab's neutron.conf + metadata_agent.ini (state_path, socket, debug →
log level), then runs neutron.agent.metadata.driver.HaproxyConfigurator as the
DHCP agent would (user/group neutron, IPv6 bind on the tap). Prints the path of
each config, <state_path>/ns-metadata-proxy/<network>.conf. --socket overrides
the server line (lab/break socket-path).
"""
import os
import sys

from neutron.agent.linux import external_process
from neutron.agent.metadata import driver
from neutron.common import config as common_config
from neutron.conf.agent import common as agent_conf
from neutron.conf.agent.metadata import config as meta_conf
from neutron_lib import constants
from oslo_config import cfg
from oslo_log import log as logging

STATE = os.environ.get('LAB_STATE_DIR', '/var/lib/osmeta-lab')
ETC = os.path.join(STATE, 'etc', 'neutron')


def main():
    args = sys.argv[1:]
    socket_path = None
    if args[:1] == ['--socket'] and len(args) > 1:
        socket_path, args = args[1], args[2:]
    if not args or not all(a.count(':') == 1 for a in args):
        sys.exit(__doc__)
    meta_conf.register_meta_conf_opts(meta_conf.SHARED_OPTS)
    agent_conf.register_external_process_opts()
    common_config.register_common_config_options()
    logging.register_options(cfg.CONF)
    cfg.CONF(['--config-file', os.path.join(ETC, 'neutron.conf'),
              '--config-file', os.path.join(ETC, 'metadata_agent.ini')], project='neutron')
    for arg in args:
        network_id, tap = arg.split(':')
        pm = external_process.ProcessManager(cfg.CONF, network_id,
                                             namespace='qdhcp-' + network_id,
                                             service='haproxy')
        conf = driver.HaproxyConfigurator(
            network_id, None, socket_path or cfg.CONF.metadata_proxy_socket,
            constants.METADATA_V4_IP, constants.METADATA_PORT, 'neutron', 'neutron',
            cfg.CONF.state_path, pm.get_pid_file_name(),
            host_v6=constants.METADATA_V6_IP, bind_interface=tap)
        conf.create_config_file()
        print(conf.cfg_path)


if __name__ == '__main__':
    main()
