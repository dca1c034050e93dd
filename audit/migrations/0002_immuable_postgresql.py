"""Sur PostgreSQL, un déclencheur refuse toute modification ou suppression d'une ligne du
journal d'audit, quel que soit le client (application, shell, psql avec le rôle de l'application).

Seul le propriétaire de la table peut retirer le déclencheur ; en production, le rôle de
l'application n'en est pas propriétaire et n'a que INSERT et SELECT (docs/securite.md).
TRUNCATE n'est pas bloqué : c'est ce qu'utilisent les outils de test pour vider une base.
"""

from django.db import migrations

CREER = """
CREATE OR REPLACE FUNCTION audit_journal_immuable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Le journal d''audit est en ajout seul (% refusé).', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_journal_immuable
    BEFORE UPDATE OR DELETE ON audit_evenementaudit
    FOR EACH ROW EXECUTE FUNCTION audit_journal_immuable();
"""

SUPPRIMER = """
DROP TRIGGER IF EXISTS audit_journal_immuable ON audit_evenementaudit;
DROP FUNCTION IF EXISTS audit_journal_immuable();
"""


def creer(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREER, params=None)


def supprimer(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SUPPRIMER, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_journal")]

    operations = [migrations.RunPython(creer, supprimer)]
