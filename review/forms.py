from django import forms

from review.models import Relationship


class RelationshipForm(forms.ModelForm):
    class Meta:
        model = Relationship
        fields = ["kind", "name", "email", "note"]
