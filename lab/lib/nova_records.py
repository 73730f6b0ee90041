"""Instance records made with nova's own objects, no hypervisor involved.

Run by /usr/bin/python3 as the nova user:
    nova_records.py guests          lab-vm1..4 (ids.json gives uuid, project, port)
    nova_records.py scale N         add N lab-scale-NNNN servers with ports
    nova_records.py scale 0         remove every lab-scale-* server and its port
Network info caches are built by nova.network.neutron.API().get_instance_nw_info.
"""
import base64
import concurrent.futures
import datetime
import functools
import json
import os
import sys
import uuid

from oslo_log import log as logging
from oslo_utils import timeutils

from nova import config
from nova import context as nova_context
from nova import crypto
from nova import exception
from nova import objects
from nova.network import model as network_model
from nova.network import neutron as neutron_api

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resources  # noqa: E402

STATE = resources.STATE
ETC = os.path.join(STATE, 'etc', 'nova')
HOST = 'lab-compute-1'
FLAVOR = 'lab.1'
KEYS = {'demo': 'lab-key-demo', 'alt_demo': 'lab-key-alt'}
PROJECT_USER = {'demo': 'demo', 'alt_demo': 'alt_demo'}


def setup():
    # logs go to stderr: lab/up keeps them in log/setup/
    # rpc.init registers transport_url (cell mappings format it); nothing is sent
    config.parse_args([sys.argv[0], '--config-file', os.path.join(ETC, 'nova.conf')])
    logging.setup(config.CONF, 'nova')
    objects.register_all()
    ctx = nova_context.get_admin_context()
    cells = [c for c in objects.CellMappingList.get_all(ctx) if c.name == 'cell1']
    if not cells:
        sys.exit('error: nova has no cell1 (nova-manage cell_v2 create_cell)')
    return ctx, cells[0]


def flavor(ctx):
    try:
        return objects.Flavor.get_by_flavor_id(ctx, FLAVOR)
    except exception.FlavorNotFound:
        f = objects.Flavor(ctx, name=FLAVOR, flavorid=FLAVOR, memory_mb=64, vcpus=1,
                           root_gb=1, ephemeral_gb=0, swap=0, rxtx_factor=1.0,
                           vcpu_weight=0, disabled=False, is_public=True,
                           extra_specs={}, description='osmeta lab flavor')
        f.create()
        return f


def keypair(ctx, project, user_id):
    name = KEYS[project]
    try:
        return objects.KeyPair.get_by_name(ctx, user_id, name)
    except exception.KeypairNotFound:
        private, public, fingerprint = crypto.generate_key_pair()
        keydir = os.path.join(STATE, 'keys')
        os.makedirs(keydir, mode=0o700, exist_ok=True)
        path = os.path.join(keydir, name + '.pem')
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as f:
            f.write(private)
        kp = objects.KeyPair(ctx, name=name, user_id=user_id, fingerprint=fingerprint,
                             public_key=public, type='ssh')
        kp.create()
        return kp


def user_data(name, instance_uuid, project):
    text = ('#cloud-config\n'
            '# osmeta lab user-data for %s\n'
            'hostname: %s\n'
            'write_files:\n'
            '  - path: /etc/osmeta-lab\n'
            '    content: "instance=%s project=%s"\n') % (name, name, instance_uuid, project)
    return base64.b64encode(text.encode()).decode()


def make_instance(cctx, ctx, cell, *, instance_uuid, name, project, project_id, user_id,
                  fl, kp, image_id, meta, mac, port_id, index):
    """The records nova's API and metadata service read for one server."""
    try:
        return objects.Instance.get_by_uuid(cctx, instance_uuid,
                                            expected_attrs=['info_cache'])
    except exception.InstanceNotFound:
        pass
    now = timeutils.utcnow()
    inst = objects.Instance(
        context=cctx, uuid=instance_uuid, project_id=project_id, user_id=user_id,
        display_name=name, display_description='osmeta lab instance %s' % name,
        hostname=name, host=HOST, node=HOST, launched_on=HOST,
        vm_state='active', power_state=1, task_state=None,
        flavor=fl, instance_type_id=fl.id, memory_mb=fl.memory_mb, vcpus=fl.vcpus,
        root_gb=fl.root_gb, ephemeral_gb=fl.ephemeral_gb,
        image_ref=image_id, kernel_id='', ramdisk_id='', root_device_name='/dev/vda',
        user_data=user_data(name, instance_uuid, project), metadata=meta,
        system_metadata={}, key_name=kp.name, key_data=kp.public_key,
        keypairs=objects.KeyPairList(objects=[kp]),
        availability_zone='nova', reservation_id='r-lab%d' % index, launch_index=0,
        launched_at=now, scheduled_at=now, config_drive='', locked=False,
        info_cache=objects.InstanceInfoCache(network_info=network_model.NetworkInfo()))
    inst.create()
    objects.InstanceMapping(ctx, instance_uuid=instance_uuid, cell_mapping=cell,
                            project_id=project_id, user_id=user_id,
                            queued_for_delete=False).create()
    objects.VirtualInterface(cctx, instance_uuid=instance_uuid, address=mac,
                             uuid=port_id, tag=None).create()
    return inst


def guests():
    ctx, cell = setup()
    ids = resources.load_ids()
    fl = flavor(ctx)
    api = neutron_api.API()
    with nova_context.target_cell(ctx, cell) as cctx:
        for n, key in enumerate(('vm1', 'vm2', 'vm3', 'vm4'), start=1):
            vm = ids['vms'][key]
            project = vm['project']
            user_id = ids['users'][PROJECT_USER[project]]
            kp = keypair(ctx, project, user_id)
            inst = make_instance(
                cctx, ctx, cell, instance_uuid=vm['id'], name=vm['name'], project=project,
                project_id=vm['project_id'], user_id=user_id, fl=fl, kp=kp,
                image_id=ids['image_id'],
                meta={'lab': 'osmeta', 'role': key, 'tenant': project},
                mac=vm['mac'], port_id=vm['port_id'], index=n)
            if not inst.info_cache.network_info:
                # vm3's port lives in the other project: nova's lookup (tenant_id +
                # device_id) finds nothing and the cache stays empty, as in a real cloud.
                api.get_instance_nw_info(cctx, inst, force_refresh=True)
            print('%s %s' % (vm['name'], inst.uuid))


class SharedLookups:
    """A neutron client whose per-network lookups are asked once for many servers.

    get_instance_nw_info asks, per server, for its ports (kept per server) and then
    for networks (list and show), subnets, the DHCP ports of a network and extensions: identical
    answers for every server on the same network, so they are memoised here.
    """
    SHARED = {'list_networks', 'show_network', 'list_subnets', 'list_extensions'}

    def __init__(self, client):
        self._c = client
        self._memo = {}
        self._no_l3 = False

    def __getattr__(self, name):
        fn = getattr(self._c, name)
        if name == 'list_ports':
            return self._list_ports
        if name == 'list_floatingips':
            return self._list_floatingips
        if name not in self.SHARED:
            return fn

        @functools.wraps(fn)
        def memo(*args, **kw):
            key = (name, args, json.dumps(kw, sort_keys=True, default=str))
            if key not in self._memo:
                self._memo[key] = fn(*args, **kw)
            return self._memo[key]
        return memo

    def _list_ports(self, *args, **kw):
        if kw.get('device_owner') == 'network:dhcp':
            key = ('dhcp_ports', json.dumps(kw, sort_keys=True, default=str))
            if key not in self._memo:
                self._memo[key] = self._c.list_ports(*args, **kw)
            return self._memo[key]
        return self._c.list_ports(*args, **kw)

    def _list_floatingips(self, *args, **kw):
        # no L3 plugin in the lab: the first 404 answers for every port
        from neutronclient.common import exceptions as nexc
        if self._no_l3:
            raise nexc.NotFound()
        try:
            return self._c.list_floatingips(*args, **kw)
        except nexc.NotFound:
            self._no_l3 = True
            raise


def scale(count):
    ctx, cell = setup()
    ids = resources.load_ids()
    api = resources.Api(resources.admin_session())
    net = resources.NET
    if count == 0:
        return unscale(ctx, cell, ids, api)
    fl = flavor(ctx)
    with nova_context.target_cell(ctx, cell) as cctx:
        existing = objects.InstanceList.get_by_filters(
            cctx, {'display_name': '^lab-scale-', 'deleted': False}, expected_attrs=[])
        start = 1 + max([int(i.display_name.rsplit('-', 1)[1]) for i in existing] or [0])
    # one extra subnet per network: /24s cannot hold a thousand guests
    targets = []
    for key in ('demo', 'alt'):
        n = ids['networks'][key]
        spec = resources.NETWORKS[key]
        sub = api.one(net + '/subnets', 'subnets', network_id=n['id'], cidr=spec['scale_cidr'])
        if not sub:
            sub = api.post(net + '/subnets', {'subnet': {
                'name': spec['name'] + '-scale', 'network_id': n['id'],
                'tenant_id': n['project_id'], 'ip_version': 4,
                'cidr': spec['scale_cidr'], 'enable_dhcp': False}})['subnet']
        targets.append((n, sub['id']))
        # neutron counts admin-made ports against the project's quota (500)
        api.put('%s/quotas/%s' % (net, n['project_id']), {'quota': {'port': -1}})
    plan = []
    for i in range(start, start + count):
        n, sub_id = targets[i % 2]
        plan.append({'name': 'lab-scale-%04d' % i, 'uuid': str(uuid.uuid4()),
                     'net': n, 'subnet_id': sub_id})
    t0 = timeutils.utcnow()
    ports = {}
    for off in range(0, len(plan), 100):
        batch = plan[off:off + 100]
        body = {'ports': [{'name': p['name'] + '-port', 'network_id': p['net']['id'],
                           'tenant_id': p['net']['project_id'], 'device_id': p['uuid'],
                           'device_owner': 'compute:nova',
                           'fixed_ips': [{'subnet_id': p['subnet_id']}]} for p in batch]}
        for port in api.post(net + '/ports', body)['ports']:
            ports[port['device_id']] = port
        print('ports: %d/%d (%.0fs)' % (len(ports), len(plan),
                                        (timeutils.utcnow() - t0).total_seconds()), flush=True)
    keys = {}
    for project in ('demo', 'alt_demo'):
        keys[project] = keypair(ctx, project, ids['users'][PROJECT_USER[project]])
    napi = neutron_api.API()
    shared = SharedLookups(neutron_api.get_client(ctx, admin=True))
    # some helpers (_nw_info_build_network) make their own admin client: hand them
    # the shared one too
    own_client = neutron_api.get_client
    neutron_api.get_client = lambda c, admin=False: shared if admin else own_client(c, admin)
    with nova_context.target_cell(ctx, cell) as cctx:
        for k, p in enumerate(plan, start=1):
            project = p['net']['project']
            port = ports[p['uuid']]
            inst = make_instance(
                cctx, ctx, cell, instance_uuid=p['uuid'], name=p['name'], project=project,
                project_id=p['net']['project_id'], user_id=ids['users'][PROJECT_USER[project]],
                fl=fl, kp=keys[project], image_id=ids['image_id'],
                meta={'lab': 'osmeta', 'role': 'scale', 'tenant': project},
                mac=port['mac_address'], port_id=port['id'], index=1000 + k)
            napi.get_instance_nw_info(cctx, inst, force_refresh=True, admin_client=shared)
            if k % 100 == 0 or k == len(plan):
                print('servers: %d/%d (%.0fs)' % (k, len(plan), (
                    timeutils.utcnow() - t0).total_seconds()), flush=True)


def unscale(ctx, cell, ids, api):
    net = resources.NET
    ports = []
    for key in ('demo', 'alt'):
        n = ids['networks'][key]
        spec = resources.NETWORKS[key]
        sub = api.one(net + '/subnets', 'subnets', network_id=n['id'], cidr=spec['scale_cidr'])
        if sub:
            ports += [p['id'] for p in api.get(net + '/ports', fields='id',
                                               fixed_ips='subnet_id=%s' % sub['id'])['ports']]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda pid: api.delete('%s/ports/%s' % (net, pid)), ports))
    print('ports deleted: %d' % len(ports), flush=True)
    with nova_context.target_cell(ctx, cell) as cctx:
        gone = objects.InstanceList.get_by_filters(
            cctx, {'display_name': '^lab-scale-', 'deleted': False}, expected_attrs=[])
        for inst in gone:
            objects.VirtualInterface.delete_by_instance_uuid(cctx, inst.uuid)
            inst.destroy()
            try:
                objects.InstanceMapping.get_by_instance_uuid(ctx, inst.uuid).destroy()
            except exception.InstanceMappingNotFound:
                pass
    print('servers deleted: %d' % len(gone), flush=True)


def main():
    if sys.argv[1:2] == ['guests']:
        guests()
    elif sys.argv[1:2] == ['scale'] and len(sys.argv) == 3:
        scale(int(sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
