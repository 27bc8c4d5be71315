/*  zs_registry - the buckets a gateway knows
 */

#include "zs_registry.h"

struct _zs_registry_t {
    zs_member_t *slots[ZS_REGISTRY_SLOTS]; //  Members by slot, NULL where free
    zhashx_t *by_id;                       //  Members by bucket id
    zhashx_t *by_routing;                  //  Members by routing id, in hex
    size_t size;                           //  Members
    size_t top;                            //  Slots from here on are all free:
                                           //  the gateway walks the members
                                           //  after every message it handles
    uint64_t changes;                      //  Of the alive slots, so far
};

zs_registry_t *
zs_registry_new (void)
{
    zs_registry_t *self = (zs_registry_t *) zmalloc (sizeof (zs_registry_t));
    if (self) {
        self->by_id = zhashx_new ();
        self->by_routing = zhashx_new ();
        if (!self->by_id || !self->by_routing)
            zs_registry_destroy (&self);
    }
    return self;
}

void
zs_registry_destroy (zs_registry_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zs_registry_t *self = *self_p;
        for (size_t slot = 0; slot < self->top; slot++)
            if (self->slots[slot]) {
                zframe_destroy (&self->slots[slot]->routing_id);
                free (self->slots[slot]);
            }
        zhashx_destroy (&self->by_id);
        zhashx_destroy (&self->by_routing);
        free (self);
        *self_p = NULL;
    }
}

zs_member_t *
zs_registry_lookup (zs_registry_t *self, const char *id)
{
    assert (self);
    return (zs_member_t *) zhashx_lookup (self->by_id, id);
}

zs_member_t *
zs_registry_ensure (zs_registry_t *self, const char *id)
{
    assert (self);
    zs_member_t *member = zs_registry_lookup (self, id);
    if (member)
        return member;
    size_t slot = 0;
    while (slot < ZS_REGISTRY_SLOTS && self->slots[slot])
        slot++;
    if (slot == ZS_REGISTRY_SLOTS || strlen (id) > ZS_BUCKET_ID_MAX)
        return NULL;
    member = (zs_member_t *) zmalloc (sizeof (zs_member_t));
    if (!member)
        return NULL;
    member->slot = (uint16_t) slot;
    snprintf (member->id, sizeof (member->id), "%s", id);
    member->state = ZS_MEMBER_DEAD;
    self->slots[slot] = member;
    if (slot >= self->top)
        self->top = slot + 1;
    zhashx_insert (self->by_id, member->id, member);
    self->size++;
    return member;
}

zs_member_t *
zs_registry_slot (zs_registry_t *self, uint16_t slot)
{
    assert (self);
    return slot < ZS_REGISTRY_SLOTS ? self->slots[slot] : NULL;
}

zs_member_t *
zs_registry_connected (zs_registry_t *self, zframe_t *routing_id)
{
    assert (self);
    if (!routing_id)
        return NULL;
    char *key = zframe_strhex (routing_id);
    zs_member_t *member = key ? (zs_member_t *) zhashx_lookup (self->by_routing, key) : NULL;
    free (key);
    return member;
}

void
zs_registry_connect (zs_registry_t *self, zs_member_t *member, zframe_t *routing_id)
{
    assert (self && member);
    if (routing_id && member->routing_id && zframe_eq (routing_id, member->routing_id))
        return;
    if (member->routing_id) {
        char *key = zframe_strhex (member->routing_id);
        if (key && zhashx_lookup (self->by_routing, key) == member)
            zhashx_delete (self->by_routing, key);
        free (key);
        zframe_destroy (&member->routing_id);
    }
    if (routing_id) {
        //  A connection belongs to one member at most
        zs_member_t *previous = zs_registry_connected (self, routing_id);
        if (previous && previous != member)
            zs_registry_connect (self, previous, NULL);
        member->routing_id = zframe_dup (routing_id);
        char *key = zframe_strhex (routing_id);
        if (key)
            zhashx_update (self->by_routing, key, member);
        free (key);
    }
}

void
zs_registry_remove (zs_registry_t *self, zs_member_t **member_p)
{
    assert (self && member_p);
    zs_member_t *member = *member_p;
    if (!member)
        return;
    zs_registry_connect (self, member, NULL);
    if (member->state == ZS_MEMBER_ALIVE)
        self->changes++;
    zhashx_delete (self->by_id, member->id);
    self->slots[member->slot] = NULL;
    while (self->top > 0 && !self->slots[self->top - 1])
        self->top--;
    self->size--;
    free (member);
    *member_p = NULL;
}

void
zs_registry_set_state (zs_registry_t *self, zs_member_t *member, zs_member_state_t state)
{
    assert (self && member);
    if ((member->state == ZS_MEMBER_ALIVE) != (state == ZS_MEMBER_ALIVE))
        self->changes++;
    member->state = state;
}

uint64_t
zs_registry_changes (zs_registry_t *self)
{
    assert (self);
    return self->changes;
}

zs_member_t *
zs_registry_first (zs_registry_t *self)
{
    assert (self);
    for (size_t slot = 0; slot < self->top; slot++)
        if (self->slots[slot])
            return self->slots[slot];
    return NULL;
}

zs_member_t *
zs_registry_next (zs_registry_t *self, const zs_member_t *member)
{
    assert (self && member);
    for (size_t slot = member->slot + 1u; slot < self->top; slot++)
        if (self->slots[slot])
            return self->slots[slot];
    return NULL;
}

size_t
zs_registry_size (zs_registry_t *self)
{
    assert (self);
    return self->size;
}

const char *
zs_registry_state_name (zs_member_state_t state)
{
    switch (state) {
        case ZS_MEMBER_ALIVE: return "alive";
        case ZS_MEMBER_SUSPECT: return "suspect";
        default: return "dead";
    }
}
