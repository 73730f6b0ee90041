"""Keystone, Glance and Neutron resources of the lab, created idempotently.

Run by /usr/bin/python3 (Debian's OpenStack libraries):
    resources.py keystone   projects, users, roles, services, endpoints, image
    resources.py neutron    networks, subnets, DHCP ports, guest ports
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

# the two tenant networks and the guests on them
NETWORKS = {
    'demo': {'name': 'lab-net', 'project': 'demo', 'cidr': '10.90.0.0/24',
             'scale_cidr': '10.90.16.0/20'},
    'alt': {'name': 'lab-alt-net', 'project': 'alt_demo', 'cidr': '10.91.0.0/24',
            'scale_cidr': '10.91.16.0/20'},
}
VMS = {
    'vm1': {'name': 'lab-vm1', 'network': 'demo', 'project': 'demo',
            'port_project': 'demo', 'ip': '10.90.0.10'},
    'vm2': {'name': 'lab-vm2', 'network': 'alt', 'project': 'alt_demo',
            'port_project': 'alt_demo', 'ip': '10.91.0.10'},
    # instance in demo, port created in alt_demo: nova answers 404
    'vm3': {'name': 'lab-vm3', 'network': 'demo', 'project': 'demo',
            'port_project': 'alt_demo', 'ip': '10.90.0.11'},
}
STRAY = {'network': 'demo', 'ip': '10.90.0.99', 'netns': 'lab-stray'}


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


def port(api, project_id, network_id, subnet_id, ip, name, device_id, owner):
    p = api.one(NET + '/ports', 'ports', network_id=network_id,
                fixed_ips='ip_address=%s' % ip)
    if p and (p['device_id'] != device_id or p['tenant_id'] != project_id):
        api.delete('%s/ports/%s' % (NET, p['id']))
        p = None
    if not p:
        p = api.post(NET + '/ports', {'port': {
            'name': name, 'network_id': network_id, 'tenant_id': project_id,
            'device_id': device_id, 'device_owner': owner,
            'fixed_ips': [{'subnet_id': subnet_id, 'ip_address': ip}]}})['port']
    return p


def neutron(api, ids):
    projects = ids['projects']
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
        dp = port(api, pid, n['id'], sub['id'], dhcp_ip, '', dhcp_device_id(n['id']),
                  'network:dhcp')
        nets[key] = {'id': n['id'], 'name': spec['name'], 'subnet_id': sub['id'],
                     'project': spec['project'], 'project_id': pid,
                     'cidr': spec['cidr'], 'dhcp_ip': dhcp_ip,
                     'dhcp_port_id': dp['id'], 'dhcp_mac': dp['mac_address']}
    vms = ids.setdefault('vms', {})
    for key, spec in VMS.items():
        vm = vms.setdefault(key, {})
        vm.setdefault('id', str(uuid.uuid4()))
        net = nets[spec['network']]
        p = port(api, projects[spec['port_project']], net['id'], net['subnet_id'],
                 spec['ip'], spec['name'] + '-port', vm['id'], 'compute:nova')
        vm.update({'name': spec['name'], 'netns': spec['name'], 'ip': spec['ip'],
                   'mac': p['mac_address'], 'port_id': p['id'],
                   'network': spec['network'], 'network_id': net['id'],
                   'project': spec['project'], 'project_id': projects[spec['project']],
                   'port_project': spec['port_project'],
                   'port_project_id': projects[spec['port_project']]})
    ids['stray'] = dict(STRAY, network_id=nets[STRAY['network']]['id'])
    save_ids(ids)


def main():
    what = sys.argv[1:]
    api = Api(admin_session())
    ids = load_ids()
    for step in what:
        if step == 'keystone':
            keystone(api, ids)
        elif step == 'image':
            image(api, ids)
        elif step == 'neutron':
            neutron(api, ids)
        else:
            sys.exit('error: unknown step %s' % step)


if __name__ == '__main__':
    main()
