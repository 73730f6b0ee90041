"""Keystone, Glance and Neutron resources of the lab, created idempotently.

Run by /usr/bin/python3 (Debian's OpenStack libraries):
    resources.py keystone   projects, users, roles, services, endpoints, image
    resources.py neutron    networks, subnets, DHCP ports, the router, guest ports
                            (bound to this host: the OVS agent wires them)
Reads the secrets from the environment (lab/lib/common.sh exports them) and
keeps every id it learns in $LAB_STATE_DIR/ids.json.
"""
import json
import os
import socket
import sys
import uuid

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

STATE = os.environ.get('LAB_STATE_DIR', '/var/lib/osmeta-lab')
IDS = os.path.join(STATE, 'ids.json')
KS = 'http://127.0.0.1:5000/v3'
NET = 'http://127.0.0.1:9696/v2.0'
IMG = 'http://127.0.0.1:9292/v2'
REGION = 'RegionOne'

# the tenant networks and the guests on them: demo and alt are isolated (metadata
# from the DHCP agent's qdhcp- namespace), routed has a router (metadata from the
# L3 agent's qrouter- namespace)
NETWORKS = {
    'demo': {'name': 'lab-net', 'project': 'demo', 'cidr': '10.90.0.0/24',
             'scale_cidr': '10.90.16.0/20'},
    'alt': {'name': 'lab-alt-net', 'project': 'alt_demo', 'cidr': '10.91.0.0/24',
            'scale_cidr': '10.91.16.0/20'},
    'routed': {'name': 'lab-routed-net', 'project': 'demo', 'cidr': '10.92.0.0/24',
               'router': 'lab-router'},
}
VMS = {
    'vm1': {'name': 'lab-vm1', 'network': 'demo', 'project': 'demo',
            'port_project': 'demo', 'ip': '10.90.0.10'},
    'vm2': {'name': 'lab-vm2', 'network': 'alt', 'project': 'alt_demo',
            'port_project': 'alt_demo', 'ip': '10.91.0.10'},
    # instance in demo, port created in alt_demo: nova answers 404
    'vm3': {'name': 'lab-vm3', 'network': 'demo', 'project': 'demo',
            'port_project': 'alt_demo', 'ip': '10.90.0.11'},
    'vm4': {'name': 'lab-vm4', 'network': 'routed', 'project': 'demo',
            'port_project': 'demo', 'ip': '10.92.0.10'},
}
# a guest on lab-net with an address no port owns: its port (bound, so the switch
# carries its traffic) has no fixed IP and no port security
STRAY = {'network': 'demo', 'ip': '10.90.0.99', 'netns': 'lab-stray'}
# the host the agents report as (their `host` option defaults to the hostname)
HOST = socket.gethostname()
# ovs: neutron's DHCP agent serves metadata in qdhcp-, the L3 agent in qrouter-;
# ovn: the OVN metadata agent in ovnmeta-<network> for every network, routed or not
FLAVOUR = os.environ.get('LAB_FLAVOUR', 'ovs')


def load_ids():
    try:
        with open(IDS) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def save_ids(ids):
    tmp = IDS + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(ids, f, indent=2, sort_keys=True)
        f.write('\n')
    os.chmod(tmp, 0o644)
    os.replace(tmp, IDS)


def admin_session():
    auth = v3.Password(auth_url=KS, username='admin',
                       password=os.environ['ADMIN_PASSWORD'],
                       project_name='admin', user_domain_name='Default',
                       project_domain_name='Default')
    # uwsgi's http-socket closes each connection unannounced: retry a reset reuse
    return ks_session.Session(auth=auth, timeout=60, connect_retries=5)


class Api:
    def __init__(self, sess):
        self.s = sess

    def get(self, url, **params):
        r = self.s.get(url, params=params, raise_exc=True)
        return r.json()

    def post(self, url, body):
        return self.s.post(url, json=body, raise_exc=True).json()

    def put(self, url, body=None):
        r = self.s.put(url, json=body, raise_exc=True)
        return r.json() if r.content else None

    def delete(self, url):
        self.s.delete(url, raise_exc=False)

    def one(self, url, key, **params):
        items = self.get(url, **params)[key]
        if len(items) > 1:
            sys.exit('error: more than one %s matches %s' % (key, params))
        return items[0] if items else None


# ---------------------------------------------------------------- keystone
def keystone(api, ids):
    def project(name, desc):
        p = api.one(KS + '/projects', 'projects', name=name, domain_id='default')
        if not p:
            p = api.post(KS + '/projects', {'project': {
                'name': name, 'domain_id': 'default', 'description': desc}})['project']
        return p['id']

    def user(name, password, project_id):
        u = api.one(KS + '/users', 'users', name=name, domain_id='default')
        if not u:
            u = api.post(KS + '/users', {'user': {
                'name': name, 'domain_id': 'default', 'password': password,
                'default_project_id': project_id}})['user']
        return u['id']

    def role(name):
        r = api.one(KS + '/roles', 'roles', name=name)
        if not r:
            r = api.post(KS + '/roles', {'role': {'name': name}})['role']
        return r['id']

    def grant(project_id, user_id, role_id):
        api.put('%s/projects/%s/users/%s/roles/%s' % (KS, project_id, user_id, role_id))

    roles = {n: role(n) for n in ('admin', 'member', 'reader')}
    projects = {'admin': project('admin', 'Bootstrap project'),
                'service': project('service', 'osmeta lab service users'),
                'demo': project('demo', 'osmeta lab project demo'),
                'alt_demo': project('alt_demo', 'osmeta lab project alt_demo')}
    users = {'admin': api.one(KS + '/users', 'users', name='admin')['id']}
    for svc in ('nova', 'neutron', 'glance'):
        users[svc] = user(svc, os.environ['%s_PASSWORD' % svc.upper()], projects['service'])
        grant(projects['service'], users[svc], roles['admin'])
    users['demo'] = user('demo', os.environ['DEMO_PASSWORD'], projects['demo'])
    grant(projects['demo'], users['demo'], roles['member'])
    users['alt_demo'] = user('alt_demo', os.environ['ALT_DEMO_PASSWORD'], projects['alt_demo'])
    grant(projects['alt_demo'], users['alt_demo'], roles['member'])

    catalog = {'compute': ('nova', 'http://127.0.0.1:8774/v2.1'),
               'network': ('neutron', 'http://127.0.0.1:9696'),
               'image': ('glance', 'http://127.0.0.1:9292')}
    for stype, (name, url) in catalog.items():
        s = api.one(KS + '/services', 'services', type=stype)
        if not s:
            s = api.post(KS + '/services', {'service': {
                'type': stype, 'name': name, 'enabled': True}})['service']
        have = {e['interface'] for e in api.get(KS + '/endpoints', service_id=s['id'])['endpoints']}
        for iface in ('public', 'internal', 'admin'):
            if iface not in have:
                api.post(KS + '/endpoints', {'endpoint': {
                    'service_id': s['id'], 'interface': iface, 'url': url,
                    'region_id': REGION, 'enabled': True}})
    ids['projects'] = projects
    ids['users'] = users
    save_ids(ids)


def image(api, ids):
    """One tiny public image: `openstack server show` builds an image client."""
    img = api.one(IMG + '/images', 'images', name='lab-tiny')
    if img and img['status'] != 'active':
        api.delete('%s/images/%s' % (IMG, img['id']))
        img = None
    if not img:
        img = api.post(IMG + '/images', {
            'name': 'lab-tiny', 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'public'})
        api.s.put('%s/images/%s/file' % (IMG, img['id']), data=b'\0' * 1024,
                  headers={'Content-Type': 'application/octet-stream'}, raise_exc=True)
    ids['image_id'] = img['id']
    save_ids(ids)


# ----------------------------------------------------------------- neutron
def dhcp_device_id(network_id):
    # neutron/common/utils.py get_dhcp_agent_device_id
    host = socket.gethostname()
    return 'dhcp%s-%s' % (uuid.uuid5(uuid.NAMESPACE_DNS, host), network_id)


def port(api, project_id, network_id, subnet_id, ip, name, device_id, owner, bind=False):
    p = api.one(NET + '/ports', 'ports', network_id=network_id,
                fixed_ips='ip_address=%s' % ip)
    if p and (p['device_id'] != device_id or p['tenant_id'] != project_id):
        api.delete('%s/ports/%s' % (NET, p['id']))
        p = None
    body = {'name': name, 'network_id': network_id, 'tenant_id': project_id,
            'device_id': device_id, 'device_owner': owner,
            'fixed_ips': [{'subnet_id': subnet_id, 'ip_address': ip}]}
    if bind:
        # what nova does once the guest is placed: the OVS agent on HOST binds it
        body['binding:host_id'] = HOST
    if not p:
        p = api.post(NET + '/ports', {'port': body})['port']
    elif bind and p.get('binding:host_id') != HOST:
        p = api.put('%s/ports/%s' % (NET, p['id']), {'port': {'binding:host_id': HOST}})['port']
    if bind and p.get('binding:vif_type') == 'binding_failed':
        p = rebind(api, p)
    return p


def rebind(api, p):
    """A port whose binding failed (ML2/OVN: no live chassis on the host yet)."""
    api.put('%s/ports/%s' % (NET, p['id']), {'port': {'binding:host_id': ''}})
    return api.put('%s/ports/%s' % (NET, p['id']), {'port': {'binding:host_id': HOST}})['port']


def stray_port(api, project_id, network_id):
    p = api.one(NET + '/ports', 'ports', network_id=network_id, name='lab-stray-port')
    if not p:
        p = api.post(NET + '/ports', {'port': {
            'name': 'lab-stray-port', 'network_id': network_id, 'tenant_id': project_id,
            'device_id': 'lab-stray', 'device_owner': '', 'fixed_ips': [],
            'port_security_enabled': False, 'security_groups': [],
            'binding:host_id': HOST}})['port']
    if p.get('binding:vif_type') == 'binding_failed':
        p = rebind(api, p)
    return p


def wait_ovn_controller(api):
    """ML2/OVN binds a port only to a host with a live OVN Controller agent."""
    import time
    deadline = time.time() + 120
    while True:
        if any(a['agent_type'] == 'OVN Controller agent' and a['alive']
               for a in api.get(NET + '/agents', host=HOST)['agents']):
            return
        if time.time() > deadline:
            sys.exit('error: no live OVN Controller agent on %s in Neutron after 120 s' % HOST)
        time.sleep(2)


def ovn_agents(api, ids):
    """lab/up (ovn): Neutron sees this chassis' OVN Controller and OVN Metadata agents
    alive (the metadata agent registers after its first sync)."""
    import time
    want = ('OVN Controller agent', 'OVN Metadata agent')
    deadline = time.time() + 120
    while True:
        alive = {a['agent_type'] for a in api.get(NET + '/agents', host=HOST)['agents']
                 if a['alive'] and a['admin_state_up']}
        if all(w in alive for w in want):
            return
        if time.time() > deadline:
            sys.exit('error: Neutron does not see %s alive on %s after 120 s' % (
                ' and '.join(w for w in want if w not in alive), HOST))
        time.sleep(2)


def metadata_port(api, network_id, subnet_id, want_ip=None):
    """The network's OVN metadata port (network:distributed, made by neutron-server
    with the network, its address from the subnet); with want_ip its address is
    put back after lab/break metadata-port."""
    import time
    deadline = time.time() + 60
    while True:
        mps = api.get(NET + '/ports', network_id=network_id,
                      device_owner='network:distributed')['ports']
        if mps:
            mp = mps[0]
            ips = [ip['ip_address'] for ip in mp['fixed_ips'] if ip['subnet_id'] == subnet_id]
            if ips:
                return mp, ips[0]
            if want_ip:
                api.put('%s/ports/%s' % (NET, mp['id']), {'port': {'fixed_ips': [
                    {'subnet_id': subnet_id, 'ip_address': want_ip}]}})
                continue
        if time.time() > deadline:
            sys.exit('error: network %s has no metadata port with an address on %s after 60 s'
                     % (network_id, subnet_id))
        time.sleep(1)


def move_port(api, ids, key, host):
    """lab/break chassis: lab-vm1's port bound to another host (its chassis), as
    nova would after a move; lab/heal binds it back to this one."""
    import time
    port_id = ids['vms'][key]['port_id']
    deadline = time.time() + 60
    # ML2/OVN binds only to a host whose OVN Controller agent Neutron sees alive
    while not any(a['alive'] for a in api.get(NET + '/agents', host=host)['agents']
                  if a['agent_type'] == 'OVN Controller agent'):
        if time.time() > deadline:
            sys.exit('error: no live OVN Controller agent on %s in Neutron after 60 s' % host)
        time.sleep(1)
    p = api.put('%s/ports/%s' % (NET, port_id), {'port': {'binding:host_id': host}})['port']
    if p.get('binding:vif_type') == 'binding_failed':
        p = rebind(api, p) if host == HOST else p
    print(json.dumps({k: p.get(k) for k in ('id', 'binding:host_id', 'binding:vif_type', 'status')}))


def break_metadata_port(api, ids):
    """lab/break metadata-port: lab-net's metadata port keeps no address."""
    net = ids['networks']['demo']
    api.put('%s/ports/%s' % (NET, net['metadata_port_id']), {'port': {'fixed_ips': []}})


def router(api, project_id, name, subnet_id):
    """The router and its interface on the subnet's gateway address."""
    r = api.one(NET + '/routers', 'routers', name=name, tenant_id=project_id)
    if not r:
        r = api.post(NET + '/routers', {'router': {
            'name': name, 'tenant_id': project_id, 'admin_state_up': True}})['router']
    ifaces = api.get(NET + '/ports', device_id=r['id'],
                     device_owner='network:router_interface')['ports']
    if not any(ip['subnet_id'] == subnet_id for p in ifaces for ip in p['fixed_ips']):
        api.put('%s/routers/%s/add_router_interface' % (NET, r['id']), {'subnet_id': subnet_id})
        ifaces = api.get(NET + '/ports', device_id=r['id'],
                         device_owner='network:router_interface')['ports']
    qr = [p for p in ifaces if any(ip['subnet_id'] == subnet_id for ip in p['fixed_ips'])][0]
    return r, qr


def neutron(api, ids):
    projects = ids['projects']
    if FLAVOUR == 'ovn':
        wait_ovn_controller(api)
    nets = ids.setdefault('networks', {})
    for key, spec in NETWORKS.items():
        pid = projects[spec['project']]
        n = api.one(NET + '/networks', 'networks', name=spec['name'], tenant_id=pid)
        if not n:
            n = api.post(NET + '/networks', {'network': {
                'name': spec['name'], 'tenant_id': pid, 'admin_state_up': True}})['network']
        sub = api.one(NET + '/subnets', 'subnets', network_id=n['id'], cidr=spec['cidr'])
        dhcp_ip = spec['cidr'].rsplit('.', 1)[0] + '.2'
        if not sub:
            # the DHCP port's address serves DNS, as dnsmasq would
            sub = api.post(NET + '/subnets', {'subnet': {
                'name': spec['name'] + '-subnet', 'network_id': n['id'], 'tenant_id': pid,
                'ip_version': 4, 'cidr': spec['cidr'], 'enable_dhcp': True,
                'dns_nameservers': [dhcp_ip]}})['subnet']
        elif sub['dns_nameservers'] != [dhcp_ip]:
            api.put('%s/subnets/%s' % (NET, sub['id']),
                    {'subnet': {'dns_nameservers': [dhcp_ip]}})
        if FLAVOUR == 'ovn':
            mp, md_ip = metadata_port(api, n['id'], sub['id'],
                                      nets.get(key, {}).get('metadata_ip'))
            nets[key] = {'id': n['id'], 'name': spec['name'], 'subnet_id': sub['id'],
                         'project': spec['project'], 'project_id': pid,
                         'cidr': spec['cidr'], 'gateway_ip': sub['gateway_ip'],
                         'metadata_port_id': mp['id'], 'metadata_ip': md_ip,
                         'metadata_mac': mp['mac_address'],
                         'metadata_netns': 'ovnmeta-' + n['id']}
            if spec.get('router'):
                # an OVN logical router: not on the metadata path (ovnmeta- serves
                # the routed network as any other)
                r, qr = router(api, pid, spec['router'], sub['id'])
                nets[key].update({'router_id': r['id'], 'router_name': spec['router'],
                                  'router_port_id': qr['id']})
                ids['router'] = {'id': r['id'], 'name': spec['router'], 'network': key,
                                 'subnet_id': sub['id'], 'port_id': qr['id'], 'netns': ''}
            continue
        # the DHCP agent adopts a port with its device_id (or makes its own)
        dps = api.get(NET + '/ports', network_id=n['id'],
                      device_id=dhcp_device_id(n['id']))['ports']
        # one DHCP port per network and agent: keep the one on .2 (or the first)
        dps.sort(key=lambda p: not any(ip['ip_address'] == dhcp_ip for ip in p['fixed_ips']))
        for extra in dps[1:]:
            api.delete('%s/ports/%s' % (NET, extra['id']))
        dp = dps[0] if dps else None
        if not dp:
            dp = port(api, pid, n['id'], sub['id'], dhcp_ip, '', dhcp_device_id(n['id']),
                      'network:dhcp', bind=True)
        elif dp.get('binding:host_id') != HOST:
            # the agent binds a port it makes itself, not one it adopts
            dp = api.put('%s/ports/%s' % (NET, dp['id']),
                         {'port': {'binding:host_id': HOST}})['port']
        dhcp_ip = [ip['ip_address'] for ip in dp['fixed_ips']
                   if ip['subnet_id'] == sub['id']][0]
        nets[key] = {'id': n['id'], 'name': spec['name'], 'subnet_id': sub['id'],
                     'project': spec['project'], 'project_id': pid,
                     'cidr': spec['cidr'], 'dhcp_ip': dhcp_ip,
                     'gateway_ip': sub['gateway_ip'],
                     'dhcp_port_id': dp['id'], 'dhcp_mac': dp['mac_address'],
                     'metadata_netns': 'qdhcp-' + n['id']}
        if spec.get('router'):
            r, qr = router(api, pid, spec['router'], sub['id'])
            nets[key].update({'router_id': r['id'], 'router_name': spec['router'],
                              'router_port_id': qr['id'],
                              'metadata_netns': 'qrouter-' + r['id']})
            ids['router'] = {'id': r['id'], 'name': spec['router'], 'network': key,
                             'subnet_id': sub['id'], 'port_id': qr['id'],
                             'netns': 'qrouter-' + r['id']}
    vms = ids.setdefault('vms', {})
    for key, spec in VMS.items():
        vm = vms.setdefault(key, {})
        vm.setdefault('id', str(uuid.uuid4()))
        net = nets[spec['network']]
        p = port(api, projects[spec['port_project']], net['id'], net['subnet_id'],
                 spec['ip'], spec['name'] + '-port', vm['id'], 'compute:nova', bind=True)
        vm.update({'name': spec['name'], 'netns': spec['name'], 'ip': spec['ip'],
                   'mac': p['mac_address'], 'port_id': p['id'],
                   'metadata_netns': net['metadata_netns'],
                   'network': spec['network'], 'network_id': net['id'],
                   'project': spec['project'], 'project_id': projects[spec['project']],
                   'port_project': spec['port_project'],
                   'port_project_id': projects[spec['port_project']]})
    net = nets[STRAY['network']]
    sp = stray_port(api, net['project_id'], net['id'])
    ids['stray'] = dict(STRAY, network_id=net['id'], port_id=sp['id'], mac=sp['mac_address'],
                        project_id=net['project_id'], metadata_netns=net['metadata_netns'])
    ids['host'] = HOST
    save_ids(ids)


def remove_router_interface(api, ids):
    """lab/break router-interface: the router leaves the routed network."""
    r = ids['router']
    api.put('%s/routers/%s/remove_router_interface' % (NET, r['id']),
            {'subnet_id': r['subnet_id']})


def probe(api, ids, action):
    """lab/break ovs-agent: a new guest port on lab-net, bound to this host."""
    net = ids['networks']['demo']
    p = api.one(NET + '/ports', 'ports', network_id=net['id'], name='lab-probe-port')
    if action == 'del':
        if p:
            api.delete('%s/ports/%s' % (NET, p['id']))
        return
    if action == 'show':
        print(json.dumps({k: p.get(k) for k in ('id', 'status', 'binding:vif_type')} if p else {}))
        return
    if not p:
        p = api.post(NET + '/ports', {'port': {
            'name': 'lab-probe-port', 'network_id': net['id'], 'tenant_id': net['project_id'],
            'device_id': 'lab-probe', 'device_owner': 'compute:nova',
            'binding:host_id': HOST}})['port']
    print('%s %s' % (p['id'], p['mac_address']))


def schedule(api, ids):
    """The lab's networks on this host's DHCP agent, the router on its L3 agent.

    Networks made before a DHCP agent first reported are scheduled to none (the
    agent's first sync can come before its registration); an operator's
    `openstack network agent add network` does what this does.
    """
    import time
    want = {'DHCP agent': None, 'L3 agent': None}
    deadline = time.time() + 120
    while True:
        for a in api.get(NET + '/agents', host=HOST)['agents']:
            if a['agent_type'] in want and a['alive']:
                want[a['agent_type']] = a['id']
        if all(want.values()):
            break
        if time.time() > deadline:
            sys.exit('error: no live %s on %s in Neutron after 120 s' % (
                ' and '.join(k for k, v in want.items() if not v), HOST))
        time.sleep(2)
    for key, net in sorted(ids['networks'].items()):
        hosted = [a['id'] for a in api.get('%s/networks/%s/dhcp-agents' % (NET, net['id']))['agents']]
        if want['DHCP agent'] not in hosted:
            api.s.post('%s/agents/%s/dhcp-networks' % (NET, want['DHCP agent']),
                       json={'network_id': net['id']}, raise_exc=True)
            print('network %s scheduled to the DHCP agent' % net['name'])
    r = ids['router']
    hosted = [a['id'] for a in api.get('%s/routers/%s/l3-agents' % (NET, r['id']))['agents']]
    if want['L3 agent'] not in hosted:
        api.s.post('%s/agents/%s/l3-routers' % (NET, want['L3 agent']),
                   json={'router_id': r['id']}, raise_exc=True)
        print('router %s scheduled to the L3 agent' % r['name'])


def state(api, ids):
    """lab/status, lab/check: Neutron's view of the agents and the guests' ports."""
    agents = [{k: a[k] for k in ('binary', 'host', 'alive', 'admin_state_up', 'agent_type', 'id')}
              for a in api.get(NET + '/agents')['agents']]
    ports = {}
    for key, vm in sorted(ids.get('vms', {}).items()) + [('stray', ids.get('stray', {}))]:
        if not vm.get('port_id'):
            continue
        p = api.get('%s/ports/%s' % (NET, vm['port_id']))['port']
        ports[key] = {k: p.get(k) for k in ('status', 'binding:host_id', 'binding:vif_type')}
    print(json.dumps({'agents': agents, 'ports': ports}))


def main():
    what = sys.argv[1:]
    api = Api(admin_session())
    ids = load_ids()
    if what[:1] == ['probe'] and len(what) == 2:
        return probe(api, ids, what[1])
    if what[:1] == ['move-port'] and len(what) == 3:
        return move_port(api, ids, what[1], HOST if what[2] == 'home' else what[2])
    for step in what:
        if step == 'keystone':
            keystone(api, ids)
        elif step == 'image':
            image(api, ids)
        elif step == 'neutron':
            neutron(api, ids)
        elif step == 'schedule':
            schedule(api, ids)
        elif step == 'state':
            state(api, ids)
        elif step == 'remove-router-interface':
            remove_router_interface(api, ids)
        elif step == 'ovn-agents':
            ovn_agents(api, ids)
        elif step == 'break-metadata-port':
            break_metadata_port(api, ids)
        else:
            sys.exit('error: unknown step %s' % step)


if __name__ == '__main__':
    main()
