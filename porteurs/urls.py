app_name = "porteurs"

urlpatterns = []
