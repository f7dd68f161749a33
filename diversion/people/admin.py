from django.contrib import admin

from diversion.people.models import Alias, Person, ProtectionOrder


class AliasInline(admin.TabularInline):
    model = Alias
    extra = 0
    fields = ["given_name", "family_name"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["id", "site", "created_at"]
    inlines = [AliasInline]
    search_fields = ["person_key"]


@admin.register(ProtectionOrder)
class ProtectionOrderAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "expires_on"]
    raw_id_fields = ["restrained", "protected"]
