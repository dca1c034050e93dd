"""Le référentiel national Clas de la Cnaf, en code : éditions, critères et moteur d'éligibilité.

Les modules de ce paquet sont purs (dict en entrée, dict en sortie) et n'importent rien de Django
ni des autres applications du projet.
"""
